/** One entry point for the four report formats. */
import type { ReportModel } from './model.js';
import { renderCsv } from './render-csv.js';
import { renderSvg } from './render-svg.js';
import { renderTable } from './render-table.js';

export const reportFormats = ['table', 'json', 'csv', 'svg'] as const;
export type ReportFormat = (typeof reportFormats)[number];

export function isReportFormat(value: unknown): value is ReportFormat {
  return typeof value === 'string' && (reportFormats as readonly string[]).includes(value);
}

export function renderReport(model: ReportModel, format: ReportFormat): string {
  switch (format) {
    case 'table': return renderTable(model);
    case 'json': return JSON.stringify(model, null, 2) + '\n';
    case 'csv': return renderCsv(model);
    case 'svg': return renderSvg(model);
  }
}
