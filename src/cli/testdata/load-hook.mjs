// Records every module a `flowhunt` process loads, for src/cli/startup.test.ts (written by flowhunt).
import { writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const seen = [];
registerHooks({
  load(url, context, next) {
    seen.push(url);
    return next(url, context);
  },
});
process.on('exit', () => writeFileSync(process.env.FLOWHUNT_LOAD_LOG, `${seen.join('\n')}\n`));
