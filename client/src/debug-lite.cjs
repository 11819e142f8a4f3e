// The web client's stand-in for the `debug` package (scripts/build-client.mjs aliases it):
// mediasoup-client and its helpers create three loggers per module as the page loads, and
// `debug` works out a colour for each by reading the page's computed style, about 30 ms of
// the supervision page's start on a slow machine. The switch is the same as `debug`'s:
// localStorage.debug = 'mediasoup-client:*' (comma-separated patterns, `*` as a wildcard, a
// leading `-` excludes) and a reload.
// CommonJS, as `debug` is: its users call `require('debug')(namespace)` or `.default(namespace)`.
'use strict';

const toRegExp = (glob) => new RegExp(`^${glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);

function readPatterns() {
  let setting = '';
  try {
    setting = globalThis.localStorage?.getItem('debug') ?? '';
  } catch {
    // Storage refused (a sandboxed frame): nothing is logged.
  }
  const globs = setting.split(/[\s,]+/).filter(Boolean);
  return {
    on: globs.filter((g) => !g.startsWith('-')).map(toRegExp),
    off: globs.filter((g) => g.startsWith('-')).map((g) => toRegExp(g.slice(1))),
  };
}

let patterns;

function isEnabled(namespace) {
  patterns ??= readPatterns();
  return !patterns.off.some((r) => r.test(namespace)) && patterns.on.some((r) => r.test(namespace));
}

/** @param {string} namespace */
function createDebug(namespace) {
  const logger = (...args) => {
    if (!logger.enabled) return;
    // The namespace joins a format string ('%s' and friends stay the console's to fill).
    if (typeof args[0] === 'string') logger.log(`${namespace} ${args[0]}`, ...args.slice(1));
    else logger.log(namespace, ...args);
  };
  logger.namespace = namespace;
  logger.enabled = isEnabled(namespace);
  logger.log = console.debug.bind(console);
  logger.extend = (sub, delimiter = ':') => createDebug(`${namespace}${delimiter}${sub}`);
  logger.destroy = () => false;
  return logger;
}

module.exports = createDebug;
module.exports.default = createDebug;
