/**
 * A small strict XML parser for tests (no DTD, no CDATA, no processing instructions beyond the XML
 * declaration): it throws on anything not well-formed (XML 1.0 §2.1: one root, matched and nested
 * tags, quoted and unique attributes, only declared entities, no `<` or bare `&` in text) and returns
 * the element tree so tests can read what an SVG says.
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: (XmlElement | string)[];
}

const namePattern = /^[A-Za-z_:][-A-Za-z0-9_:.]*/;
const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(text: string, at: number): string {
  return text.replace(/&([^;]*);|&/g, (m, body: string | undefined) => {
    if (body === undefined) throw new Error(`bare & near offset ${at}`);
    if (body in entities) return entities[body]!;
    const num = /^#(x[0-9a-fA-F]+|[0-9]+)$/.exec(body);
    if (num) return String.fromCodePoint(num[1]!.startsWith('x') ? parseInt(num[1]!.slice(1), 16) : Number(num[1]));
    throw new Error(`undeclared entity ${m} near offset ${at}`);
  });
}

export function parseXml(source: string): XmlElement {
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`${why} at offset ${i}: ${JSON.stringify(source.slice(i, i + 40))}`);
  };
  if (source.startsWith('<?xml')) {
    const end = source.indexOf('?>');
    if (end < 0) fail('unterminated XML declaration');
    i = end + 2;
  }
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (i < source.length) {
    if (source.startsWith('<!--', i)) {
      const end = source.indexOf('-->', i + 4);
      if (end < 0) fail('unterminated comment');
      i = end + 3;
      continue;
    }
    if (source.startsWith('</', i)) {
      i += 2;
      const name = namePattern.exec(source.slice(i))?.[0] ?? fail('bad end tag');
      i += name.length;
      while (/\s/.test(source[i] ?? '')) i++;
      if (source[i] !== '>') fail('end tag not closed');
      i++;
      const open = stack.pop();
      if (!open || open.name !== name) fail(`end tag </${name}> does not match <${open?.name ?? '(none)'}>`);
      continue;
    }
    if (source[i] === '<') {
      i++;
      const name = namePattern.exec(source.slice(i))?.[0] ?? fail('bad start tag');
      i += name.length;
      const el: XmlElement = { name, attrs: {}, children: [] };
      for (;;) {
        const ws = /^\s*/.exec(source.slice(i))![0].length;
        i += ws;
        if (source.startsWith('/>', i)) {
          i += 2;
          break;
        }
        if (source[i] === '>') {
          i++;
          stack.push(el);
          break;
        }
        if (ws === 0) fail('attributes must be separated by white space');
        const attr = namePattern.exec(source.slice(i))?.[0] ?? fail('bad attribute name');
        i += attr.length;
        if (source[i] !== '=') fail(`attribute ${attr} without value`);
        i++;
        const quote = source[i];
        if (quote !== '"' && quote !== "'") fail(`attribute ${attr} not quoted`);
        const end = source.indexOf(quote!, i + 1);
        if (end < 0) fail('unterminated attribute value');
        const raw = source.slice(i + 1, end);
        if (raw.includes('<')) fail(`< in attribute ${attr}`);
        if (attr in el.attrs) fail(`duplicate attribute ${attr}`);
        el.attrs[attr] = decode(raw, i);
        i = end + 1;
      }
      const parent = stack[stack.length - (stack[stack.length - 1] === el ? 2 : 1)];
      if (parent) parent.children.push(el);
      else if (root) fail('second root element');
      else root = el;
      continue;
    }
    const next = source.indexOf('<', i);
    const raw = source.slice(i, next < 0 ? source.length : next);
    if (stack.length === 0) {
      if (raw.trim() !== '') fail('text outside the root element');
    } else {
      stack[stack.length - 1]!.children.push(decode(raw, i));
    }
    i = next < 0 ? source.length : next;
  }
  if (stack.length > 0) fail(`<${stack[stack.length - 1]!.name}> not closed`);
  return root ?? fail('no root element');
}

/** All text inside an element, in document order. */
export function textOf(el: XmlElement): string {
  return el.children.map((c) => (typeof c === 'string' ? c : textOf(c))).join('');
}

/** Every element of the tree, depth first. */
export function* elements(el: XmlElement): Generator<XmlElement> {
  yield el;
  for (const c of el.children) if (typeof c !== 'string') yield* elements(c);
}
