// The audit log's options as the configuration gives them (server and command-line tools alike).
import path from 'node:path';
import type { Config } from '../config.js';
import { AuditKey } from './AuditKey.js';
import type { AuditLogOptions } from './AuditLog.js';

export function auditOptions(config: Pick<Config, 'audit' | 'dataDir' | 'monitoring'>): AuditLogOptions {
  return {
    key: AuditKey.load(config.audit.key, config.dataDir),
    checkpointFile: config.audit.checkpointFile ?? path.join(config.dataDir, 'audit-checkpoints.jsonl'),
    syslog: config.audit.syslog,
    node: config.monitoring.nodeId,
  };
}
