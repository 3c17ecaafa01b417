/**
 * @module Enrichment: who owns an address (the organisation directory) and
 * where it is (country, city, AS number from MaxMind-format databases).
 *
 * The default is a country-only database shipped in an npm package
 * (`@ip-location-db/geo-whois-asn-country-mmdb`, CC0, built from the RIRs'
 * delegation files); city and AS number need databases named in the config
 * (e.g. GeoLite2 City and ASN, which MaxMind licenses to each user).
 */

import { createRequire } from 'node:module';
import { z } from 'zod';
import type { Report } from '../detect/report.js';
import { Directory, type Lang } from './directory.js';
import { Geo, GeoDatabase } from './geo.js';

export { Directory, DirectoryError, LANGS, type Lang, type Organisation } from './directory.js';
export { Geo, GeoDatabase, GeoError, type GeoInfo, placeTag } from './geo.js';
export { RESERVED_RANGES, type ReservedKind, type ReservedRange, reservedRange } from './reserved.js';

export const enrichConfigSchema = z
  .object({
    /** Organisation directory: a `.yaml`/`.yml` or `.csv` file. */
    directory: z.string().optional(),
    /**
     * A City database (GeoIP2/GeoLite2 City or compatible `.mmdb`), or a
     * list of them consulted in order (the IPv4 and IPv6 files of an
     * ip-location-db city package).
     */
    geoCity: z.union([z.string(), z.array(z.string()).min(1)]).optional(),
    /** An ASN database (GeoLite2 ASN, GeoIP2 ISP or compatible `.mmdb`), or a list of them. */
    geoAsn: z.union([z.string(), z.array(z.string()).min(1)]).optional(),
    /** A country database; `false` turns off the packaged default. */
    geoCountry: z.union([z.string(), z.literal(false)]).optional(),
  })
  .strict();

export type EnrichConfig = z.infer<typeof enrichConfigSchema>;

export interface Enrichment {
  org?: string;
  contacts?: string[];
  /** The organisation's alert language, when its directory entry names one. */
  lang?: Lang;
  country?: string;
  city?: string;
  asn?: number;
  asOrg?: string;
}

export type EnrichedReport = Report & { enrichment: Enrichment };

const DEFAULT_COUNTRY_DB = '@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb';

/** The packaged country database's path, or undefined when the package is not installed. */
export function defaultCountryDatabase(): string | undefined {
  try {
    return createRequire(import.meta.url).resolve(DEFAULT_COUNTRY_DB);
  } catch {
    return undefined;
  }
}

export class Enricher {
  constructor(
    readonly directory?: Directory,
    readonly geo: Geo = new Geo([]),
  ) {}

  /** Opens what the config names; any missing or broken file is an error naming it. */
  static async open(cfg: EnrichConfig = {}): Promise<Enricher> {
    const directory = cfg.directory ? await Directory.load(cfg.directory) : undefined;
    const country = cfg.geoCountry === false ? undefined : (cfg.geoCountry ?? defaultCountryDatabase());
    const files = [cfg.geoCity, cfg.geoAsn, country].flat().filter((x): x is string => typeof x === 'string');
    const dbs = await Promise.all(files.map((f) => GeoDatabase.open(f)));
    return new Enricher(directory, new Geo(dbs));
  }

  enrich(ip: string): Enrichment {
    const org = this.directory?.lookup(ip);
    return {
      ...(org ? { org: org.name, contacts: [...org.contacts], ...(org.lang ? { lang: org.lang } : {}) } : {}),
      ...this.geo.lookup(ip),
    };
  }

  enrichReport(r: Report): EnrichedReport {
    return { ...r, enrichment: this.enrich(r.ip) };
  }

  /** One line for the start-up log: what is loaded. */
  describe(): string {
    const dir = this.directory
      ? `${this.directory.organisations.length} organisations, ${this.directory.prefixes} prefixes`
      : 'no organisation directory';
    const geo = this.geo.databases.length
      ? this.geo.databases.map((d) => `${d.databaseType} (${d.file})`).join(', ')
      : 'no geo database';
    return `enrichment: ${dir}; ${geo}`;
  }
}
