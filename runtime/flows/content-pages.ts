/**
 * The content bundle as the engine shows it: the bundle's shape and the pages an `info` step's
 * `contentFrom` shows. Checking a bundle's text (YAML, schema) is runtime/flows/content-bundle.ts, loaded
 * only when a bundle is parsed, so a station starting from its checked bundle loads no YAML parser.
 */
import type { Text } from './types.js';

export interface ContentItem {
  id: string;
  category: 'tourism' | 'notice' | 'event' | 'safety' | 'service';
  title: { vi: string; en: string };
  body: { vi: string; en: string }[];
  validFrom?: string;
  validUntil?: string;
}

export interface ContentBundle {
  id: string;
  version: number;
  updatedAt?: string;
  title: { vi: string; en: string };
  items: ContentItem[];
}

/** `YYYY-MM-DD` of the clock time in Vietnam (UTC+7, no daylight saving). */
export function localDate(ms: number): string {
  return new Date(ms + 7 * 3_600_000).toISOString().slice(0, 10);
}

const categoryLabel: Record<ContentItem['category'], { vi: string; en: string }> = {
  tourism: { vi: 'Du lịch', en: 'Tourism' },
  notice: { vi: 'Thông báo', en: 'Notice' },
  event: { vi: 'Sự kiện', en: 'Event' },
  safety: { vi: 'An toàn', en: 'Safety' },
  service: { vi: 'Dịch vụ công', en: 'Public service' },
};

/**
 * Pages for an info step: one per item in force on `now` (station clock), each with the category and
 * title first, then the paragraphs, then the update date. Items past `validUntil` or before `validFrom`
 * are left out, so a stale notice disappears even if central is unreachable.
 */
export function contentPages(bundle: ContentBundle, now: number): Text[][] {
  const today = localDate(now);
  const updated = bundle.updatedAt
    ? { vi: `Cập nhật ${bundle.updatedAt.split('-').reverse().join('/')}`, en: `Updated ${bundle.updatedAt.split('-').reverse().join('/')}` }
    : undefined;
  return bundle.items
    .filter((item) => (!item.validFrom || item.validFrom <= today) && (!item.validUntil || item.validUntil >= today))
    .map((item) => {
      const cat = categoryLabel[item.category];
      const page: Text[] = [{ vi: `${cat.vi} · ${item.title.vi}`, en: `${cat.en} · ${item.title.en}` }, ...item.body];
      if (updated) page.push(updated);
      return page;
    });
}
