/** @module The roles a `flowhunt serve` process can take, apart from what starts them (`serve.ts`), for `--help`. */

export const ROLES = ['all', 'collector', 'detector', 'hunter', 'api'] as const;
export type Role = (typeof ROLES)[number];
