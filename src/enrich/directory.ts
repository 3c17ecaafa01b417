/**
 * @module The organisation directory: which organisation owns an address,
 * and whom to tell about it.
 *
 * Loaded from YAML (`organisations: [{name, cidrs, contacts, lang}]`) or CSV
 * (`cidr,organisation,contact[,lang]`, one prefix a row). A lookup takes the
 * longest matching prefix, IPv4 and IPv6 alike (IPv4 lives in the 128-bit
 * space as `::ffff:a.b.c.d/96+n`, so one table serves both). Prefixes are
 * kept in one hash map per prefix length, so a lookup costs one probe per
 * length in use, however many thousand prefixes there are.
 */

import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { extname } from 'node:path';
import type * as Yaml from 'yaml';
import { z } from 'zod';
import { FlowhuntError } from '../errors.js';
import { type AddrWords, type Cidr, parseAddress, parseCidr } from '../flow/address.js';

export const LANGS = ['en', 'zh-TW'] as const;
export type Lang = (typeof LANGS)[number];

export interface Organisation {
  name: string;
  cidrs: string[];
  /** Email addresses that receive this organisation's alerts. */
  contacts: string[];
  /** The language of the alerts its contacts get; the alert config's `lang` when absent. */
  lang?: Lang;
}

export class DirectoryError extends FlowhuntError {
  override name = 'DirectoryError';

  constructor(message: string) {
    super('bad_directory', message);
  }
}

const EMAIL = /^[^\s@<>,;]+@[^\s@<>,;]+$/;

const orgSchema = z
  .object({
    name: z.string().trim().min(1),
    cidrs: z.array(z.string()).min(1),
    contacts: z.array(z.string().regex(EMAIL, 'not an email address')).default([]),
    lang: z.enum(LANGS).optional(),
  })
  .strict();
const fileSchema = z.object({ organisations: z.array(orgSchema) }).strict();

function maskWords(w: AddrWords, bits: number): string {
  let key = '';
  for (let i = 0; i < 4; i++) {
    const keep = Math.max(0, Math.min(32, bits - i * 32));
    const mask = keep === 0 ? 0 : keep === 32 ? 0xffffffff : (0xffffffff << (32 - keep)) >>> 0;
    key += `${((w[i]! & mask) >>> 0).toString(16)}:`;
  }
  return key;
}

export class Directory {
  readonly organisations: readonly Organisation[];
  /** Prefix length (0..128) → masked network → organisation, longest lengths first. */
  private readonly buckets: [number, Map<string, Organisation>][];
  readonly prefixes: number;

  constructor(orgs: Organisation[], where = 'directory') {
    this.organisations = orgs;
    const byLen = new Map<number, Map<string, Organisation>>();
    let n = 0;
    for (const org of orgs) {
      for (const text of org.cidrs) {
        const c = parseCidr(text);
        if (!c) throw new DirectoryError(`${where}: organisation "${org.name}": bad CIDR "${text}"`);
        const key = maskWords(c.first, c.bits);
        const m = byLen.get(c.bits) ?? new Map<string, Organisation>();
        byLen.set(c.bits, m);
        const had = m.get(key);
        if (had && had !== org)
          throw new DirectoryError(`${where}: ${c.text} is listed for both "${had.name}" and "${org.name}"`);
        if (!had) n++;
        m.set(key, org);
      }
    }
    this.buckets = [...byLen.entries()].sort((a, b) => b[0] - a[0]);
    this.prefixes = n;
  }

  /** The organisation owning the longest prefix that contains `ip`, if any. */
  lookup(ip: string | AddrWords): Organisation | undefined {
    const w = typeof ip === 'string' ? parseAddress(ip) : ip;
    if (!w) return undefined;
    for (const [bits, m] of this.buckets) {
      const org = m.get(maskWords(w, bits));
      if (org) return org;
    }
    return undefined;
  }

  /** Reads a `.yaml`/`.yml` or `.csv` file; errors name the file and line. */
  static async load(file: string): Promise<Directory> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      throw new DirectoryError(
        `cannot read organisation directory ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
    const ext = extname(file).toLowerCase();
    if (ext === '.csv') return new Directory(parseDirectoryCsv(text, file), file);
    if (ext === '.yaml' || ext === '.yml') return new Directory(parseDirectoryYaml(text, file), file);
    throw new DirectoryError(`organisation directory ${file}: expected a .yaml, .yml or .csv file`);
  }
}

/** Parses the YAML form, checking every CIDR and contact, with line numbers in errors. */
export function parseDirectoryYaml(text: string, file = 'directory.yaml'): Organisation[] {
  // Loaded here, not with the module: every command loads this module with the config, few read a YAML directory.
  const { LineCounter, parseDocument } = createRequire(import.meta.url)('yaml') as typeof Yaml;
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc });
  const lineOf = (path: (string | number)[]): string => {
    for (let p = path; p.length > 0; p = p.slice(0, -1)) {
      const node = doc.getIn(p, true) as { range?: [number, number, number] } | undefined;
      if (node?.range) return `${file}:${lc.linePos(node.range[0]).line}`;
    }
    return file;
  };
  const err = doc.errors[0];
  if (err) {
    const at = err.linePos?.[0];
    throw new DirectoryError(
      `${file}${at ? `:${at.line}` : ''}: not valid YAML: ${err.message.split('\n')[0]}`,
    );
  }
  const r = fileSchema.safeParse(doc.toJS() ?? {});
  if (!r.success) {
    const i = r.error.issues[0]!;
    const path = i.path.filter((x): x is string | number => typeof x !== 'symbol');
    throw new DirectoryError(`${lineOf(path)}: ${path.join('.') || '(top)'}: ${i.message}`);
  }
  r.data.organisations.forEach((o, i) => {
    o.cidrs.forEach((c, j) => {
      if (!parseCidr(c))
        throw new DirectoryError(`${lineOf(['organisations', i, 'cidrs', j])}: bad CIDR "${c}"`);
    });
  });
  checkDuplicates(
    r.data.organisations.flatMap((o, i) =>
      o.cidrs.map((c, j) => ({
        cidr: parseCidr(c)!,
        org: o.name,
        at: lineOf(['organisations', i, 'cidrs', j]),
      })),
    ),
  );
  return r.data.organisations.map((o) => ({
    name: o.name,
    cidrs: o.cidrs,
    contacts: o.contacts,
    ...(o.lang ? { lang: o.lang } : {}),
  }));
}

/** Splits one CSV line (RFC 4180 quoting: `"a, b"` and `""` inside quotes). */
function csvFields(line: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) return undefined;
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += line[i++];
      }
      const rest = line.indexOf(',', i);
      if (line.slice(i, rest < 0 ? undefined : rest).trim() !== '') return undefined;
      i = rest < 0 ? line.length : rest;
    } else {
      const comma = line.indexOf(',', i);
      field = line.slice(i, comma < 0 ? undefined : comma);
      i = comma < 0 ? line.length : comma;
    }
    out.push(field.trim());
    if (i >= line.length) return out;
    i++; // the comma
  }
}

/**
 * Parses the CSV form: `cidr,organisation,contact[,lang]`. Rows of one
 * organisation are merged; a contact cell may hold several addresses
 * separated by `;` or spaces. A first row starting with `cidr` is a header;
 * `#` starts a comment line.
 */
export function parseDirectoryCsv(text: string, file = 'directory.csv'): Organisation[] {
  const orgs = new Map<string, Organisation>();
  const seen: { cidr: Cidr; org: string; at: string }[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, idx) => {
    const at = `${file}:${idx + 1}`;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const f = csvFields(line);
    if (!f) throw new DirectoryError(`${at}: unbalanced quotes`);
    if (seen.length === 0 && f[0]?.toLowerCase() === 'cidr') return;
    if (f.length < 2 || f.length > 4)
      throw new DirectoryError(`${at}: expected cidr,organisation,contact[,lang], got ${f.length} fields`);
    const [cidrText, name, contactText = '', langText = ''] = f as [string, string, string?, string?];
    const cidr = parseCidr(cidrText);
    if (!cidr) throw new DirectoryError(`${at}: bad CIDR "${cidrText}"`);
    if (name === '') throw new DirectoryError(`${at}: empty organisation name`);
    const contacts = contactText.split(/[;\s]+/).filter((x) => x !== '');
    for (const c of contacts)
      if (!EMAIL.test(c)) throw new DirectoryError(`${at}: "${c}" is not an email address`);
    let lang: Lang | undefined;
    if (langText !== '') {
      if (!(LANGS as readonly string[]).includes(langText))
        throw new DirectoryError(`${at}: lang must be one of ${LANGS.join(', ')}, got "${langText}"`);
      lang = langText as Lang;
    }
    const org: Organisation = orgs.get(name) ?? { name, cidrs: [], contacts: [] };
    orgs.set(name, org);
    if (lang) {
      if (org.lang && org.lang !== lang)
        throw new DirectoryError(`${at}: "${name}" has lang ${org.lang} on an earlier row and ${lang} here`);
      org.lang = lang;
    }
    org.cidrs.push(cidrText);
    for (const c of contacts) if (!org.contacts.includes(c)) org.contacts.push(c);
    seen.push({ cidr, org: name, at });
  });
  checkDuplicates(seen);
  return [...orgs.values()];
}

function checkDuplicates(entries: { cidr: Cidr; org: string; at: string }[]): void {
  const first = new Map<string, { org: string; at: string }>();
  for (const e of entries) {
    const had = first.get(e.cidr.text);
    if (had && had.org !== e.org)
      throw new DirectoryError(`${e.at}: ${e.cidr.text} is already listed for "${had.org}" (${had.at})`);
    if (!had) first.set(e.cidr.text, e);
  }
}
