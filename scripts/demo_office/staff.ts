/** The people of the demo office: staff by role and area, and the logins that go with them. */
import { AREA_LEVELS } from '../../server/areas/levels.js';
import { personName } from '../../server/demo/synthetic.js';
import {
  CADRE_COUNT,
  CLEANER_COUNT,
  DEPARTMENT_USERS,
  OFFICE,
  PARTY_MEMBER_COUNT,
  POLICE_COUNT,
  VOLUNTEER_COUNT,
  type AreaRecord,
  type StaffRecord,
  type UserRecord,
} from './constants.js';
import { assignRuns, pad, rngFor } from './helpers.js';

/** The staff of the office: chiefs, grid leaders, cleaners, cadres, party members, volunteers, police. */
export function buildStaff(areas: AreaRecord[]): StaffRecord[] {
  const rng = rngFor('staff');
  const taken = new Set<string>();
  const communities = areas.filter((a) => a.level === AREA_LEVELS.community).map((a) => a.code);
  const grids = areas.filter((a) => a.level === AREA_LEVELS.grid).map((a) => a.code);
  const gridGroups = communities.map((c) => grids.filter((g) => g.startsWith(c)));
  const staff: StaffRecord[] = [];
  const phoneSeq = new Map<string, number>();
  const add = (role: StaffRecord['role'], prefix: string, phoneBlock: string, areaCodes: string[], department?: string) => {
    const n = staff.filter((s) => s.role === role).length + 1;
    const seq = (phoneSeq.get(phoneBlock) ?? 0) + 1;
    phoneSeq.set(phoneBlock, seq);
    const rec: StaffRecord = {
      code: `${prefix}${pad(n, 2)}`,
      ...personName(rng, taken),
      role,
      phone: `${phoneBlock}${pad(seq, 3)}`,
      areas: areaCodes,
    };
    if (department) rec.department_code = department;
    staff.push(rec);
  };
  grids.forEach((g) => add('chief', 'chief', '13900241', [g]));
  communities.forEach((c) => add('grid_leader', 'leader', '13900242', [c]));
  assignRuns(gridGroups, CLEANER_COUNT).forEach((run) => add('cleaner', 'cleaner', '15900243', run, 'sanitation'));
  assignRuns(gridGroups, CADRE_COUNT).forEach((run) => add('cadre', 'cadre', '13900244', run));
  for (let i = 0; i < PARTY_MEMBER_COUNT; i++) add('party_member', 'party', '13900245', [grids[Math.floor(((i + 0.5) * grids.length) / PARTY_MEMBER_COUNT)]]);
  for (let i = 0; i < VOLUNTEER_COUNT; i++) add('volunteer', 'volunteer', '15800246', [grids[Math.floor((i * grids.length) / VOLUNTEER_COUNT)]]);
  assignRuns([communities], POLICE_COUNT).forEach((run) => add('police', 'police', '18600247', run, 'police'));
  return staff;
}

/** The logins: admin, planner, one per community, one per chief, four departments. */
export function buildUsers(areas: AreaRecord[], staff: StaffRecord[]): UserRecord[] {
  const users: UserRecord[] = [
    { username: 'admin', display_name: '系统管理员', role: 'admin', scope: [OFFICE.code] },
    { username: 'planner', display_name: '网格规划员', role: 'planner', scope: [OFFICE.code] },
  ];
  areas
    .filter((a) => a.level === AREA_LEVELS.community)
    .forEach((c, i) => users.push({ username: `community${pad(i + 1, 2)}`, display_name: `${c.name}工作人员`, role: 'community', scope: [c.code] }));
  staff
    .filter((s) => s.role === 'chief')
    .forEach((s) => users.push({ username: s.code, display_name: s.name, role: 'chief', scope: [...s.areas], staff_code: s.code }));
  for (const [code, name] of DEPARTMENT_USERS) {
    users.push({ username: code, display_name: name, role: 'department', scope: [OFFICE.code], department_code: code });
  }
  return users;
}
