// The audit chain's state in words, for the pages that show it (account, investigation).
import type { VerifyResult } from '../../server/audit/AuditLog.js';
import { formatDateTime, t } from './i18n.js';

export type ChainCheck = VerifyResult;

export function chainText(c: ChainCheck): string {
  if (c.ok) {
    return c.checkpoint
      ? t('account.auditOk', { count: c.checked, at: formatDateTime(c.checkpoint.at) })
      : t('account.auditOkNoCheckpoint', { count: c.checked });
  }
  const b = c.broken;
  if (b?.kind === 'truncated' && c.checkpoint) return t('account.auditTruncated', { at: formatDateTime(c.checkpoint.at), count: c.checkpoint.seq, checked: c.checked });
  if (b?.kind === 'checkpoint') return t('account.auditCheckpointForged');
  return t('account.auditBroken', { at: b?.seq ?? '?' });
}
