// What each role is: whether it watches video, at which scope types it may be granted, and
// which facilities inside its scope it covers. The one table the policy reads.
import type { FacilityKind, OrganizationKind, Role, ScopeType } from '../db/generated/enums.js';

/**
 * uptime-report: the 24/7 connection report of facilities in scope (provincial and national
 * monitors, ops); operations: the ops dashboard and metrics.
 */
export type Duty = 'uptime-report' | 'operations';

export interface RoleRule {
  /** May watch live video (inside its scope, of the facility kinds below). */
  views: boolean;
  /** Facility kinds it covers; undefined = every kind. */
  facilityKinds?: readonly FacilityKind[];
  /** Scope types it may be granted at. */
  scopes: readonly ScopeType[];
  /** Kinds of organization whose people may hold it; undefined = any kind. */
  organizationKinds?: readonly OrganizationKind[];
  /**
   * When it needs a TOTP second factor at sign-in: 'always' for roles that administer cameras
   * or see the whole node's camera names (installers, ops); 'above-facility' for the others,
   * which need it once they see camera names or video beyond one facility.
   */
  secondFactor: 'always' | 'above-facility';
  /** What else it may do in its scope: read the 24/7 connection report, watch the SFU (ops). */
  duties: readonly Duty[];
  /** Vietnamese label for the interface. */
  labelVi: string;
  labelEn: string;
}

const QUARANTINE = ['MILITARY_QUARANTINE', 'CIVILIAN_QUARANTINE'] as const;

export const ROLE_RULES: Record<Role, RoleRule> = {
  NATIONAL_MONITOR: { views: true, scopes: ['NATION'], duties: ['uptime-report'], secondFactor: 'above-facility', labelVi: 'Giám sát toàn quốc', labelEn: 'National monitor' },
  // The Department of Health sees every centralized quarantine facility of its province,
  // military-run and civilian (hotels, schools included). Checkpoints belong to the police.
  PROVINCIAL_HEALTH_MONITOR: { views: true, facilityKinds: QUARANTINE, scopes: ['UNIT'], duties: ['uptime-report'], secondFactor: 'above-facility', labelVi: 'Giám sát Sở Y tế', labelEn: 'Provincial health monitor' },
  MILITARY_MONITOR: { views: true, facilityKinds: ['MILITARY_QUARANTINE'], scopes: ['UNIT'], duties: ['uptime-report'], secondFactor: 'above-facility', labelVi: 'Giám sát Bộ CHQS tỉnh', labelEn: 'Military monitor' },
  POLICE_MONITOR: { views: true, facilityKinds: ['CHECKPOINT'], scopes: ['UNIT'], duties: ['uptime-report'], secondFactor: 'above-facility', labelVi: 'Giám sát Công an tỉnh', labelEn: 'Police monitor' },
  FACILITY_LEADER: { views: true, scopes: ['FACILITY'], duties: [], secondFactor: 'above-facility', labelVi: 'Lãnh đạo cơ sở', labelEn: 'Facility leader' },
  // Inspectors watch only through spot checks (SpotCheck rows), never through the role.
  INSPECTOR: { views: false, scopes: ['NATION', 'UNIT'], duties: [], secondFactor: 'above-facility', labelVi: 'Thanh tra (CDC)', labelEn: 'Inspector' },
  // Installers (the telecom operators who connect each facility) follow the connection
  // report of their scope: it is how their progress against the deadlines is tracked.
  INSTALLER: { views: false, scopes: ['UNIT', 'FACILITY'], organizationKinds: ['TELECOM_INSTALLER'], duties: ['uptime-report'], secondFactor: 'always', labelVi: 'Kỹ thuật lắp đặt', labelEn: 'Installer' },
  OPS: { views: false, scopes: ['NATION', 'UNIT'], duties: ['uptime-report', 'operations'], secondFactor: 'always', labelVi: 'Vận hành', labelEn: 'Operations' },
  SCOPE_ADMIN: { views: false, scopes: ['NATION', 'UNIT', 'FACILITY'], duties: [], secondFactor: 'above-facility', labelVi: 'Quản trị phạm vi', labelEn: 'Scope administrator' },
  // An organization's focal point (đầu mối) submits its lists of people for accounts, for
  // their own organization and inside the assignment's scope; a scope administrator names them.
  FOCAL_POINT: { views: false, scopes: ['NATION', 'UNIT', 'FACILITY'], duties: [], secondFactor: 'above-facility', labelVi: 'Đầu mối tổ chức', labelEn: 'Organization focal point' },
};

/** Breadth of a scope type (a unit of any level is broader than a facility). */
export const SCOPE_RANK: Record<ScopeType, number> = { NATION: 3, UNIT: 2, FACILITY: 1, CAMERA: 0 };
