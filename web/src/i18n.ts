/** UI strings in Chinese and English; Chinese by default when the browser prefers it. */

export type Lang = 'zh' | 'en';

const STRINGS = {
  app: ['网格化管理', 'Grid management'],
  map: ['地图', 'Map'],
  report: ['我要上报', 'Report'],
  track: ['查询进度', 'Track'],
  chief: ['网格长', 'Chief'],
  centre: ['指挥中心', 'Command centre'],
  planner: ['网格规划', 'Planner'],
  login: ['登录', 'Log in'],
  logout: ['退出', 'Log out'],
  username: ['用户名', 'Username'],
  password: ['密码', 'Password'],
  search: ['搜索网格或部件编码', 'Search a grid or asset code'],
  notFound: ['未找到', 'Not found'],
  layers: ['图层', 'Layers'],
  legend: ['图例', 'Legend'],
  assetIcons: ['部件图标（放大后显示）', 'Asset icons (shown close in)'],
  offices: ['街道', 'Offices'],
  communities: ['社区', 'Communities'],
  grids: ['网格', 'Grids'],
  assets: ['部件', 'Assets'],
  incidents: ['事件', 'Incidents'],
  open: ['处置中', 'Open'],
  handled: ['待核查', 'Handled'],
  closed: ['已结案', 'Closed'],
  cancelled: ['不予立案', 'Cancelled'],
  merged: ['已合并', 'Merged'],
  rerouted: ['随网格调整改派', 'Re-routed to the new grid'],
  grid: ['网格', 'Grid'],
  overdue: ['超期', 'Overdue'],
  assetNormal: ['完好', 'Normal'],
  assetDamaged: ['损坏', 'Damaged'],
  assetMissing: ['丢失', 'Missing'],
  assetRepairing: ['维修中', 'Under repair'],
  assetRetired: ['已报废', 'Retired'],
  cluster: ['聚合（数量）', 'Cluster (count)'],
  chiefName: ['网格长', 'Grid chief'],
  phone: ['电话', 'Phone'],
  noticeBoard: ['网格公示牌', 'Notice board'],
  reportHere: ['在此上报问题', 'Report a problem here'],
  category: ['类别', 'Category'],
  status: ['状态', 'Status'],
  level: ['层级', 'Level'],
  ageHours: ['已过小时', 'Hours since report'],
  description: ['问题描述', 'Description'],
  photo: ['照片', 'Photo'],
  useGps: ['使用我的位置', 'Use my location'],
  tapMap: ['或在地图上点选位置', 'or tap the map to place it'],
  locating: ['定位中…', 'Locating…'],
  gpsFailed: ['无法获取位置，请在地图上点选', 'Location unavailable; tap the map instead'],
  pickPoint: ['请先选择位置', 'Choose the place first'],
  pickCategory: ['请选择类别', 'Choose a category'],
  contactOptional: ['联系方式（选填，不公开）', 'Contact (optional, never shown publicly)'],
  name: ['姓名', 'Name'],
  send: ['提交', 'Send'],
  sending: ['提交中…', 'Sending…'],
  sent: ['已提交', 'Sent'],
  caseNo: ['案卷号', 'Case number'],
  assignedTo: ['已派至', 'Sent to'],
  dueAt: ['处置时限', 'Due'],
  trackLink: ['查看处理进度', 'Follow its progress'],
  trackPrompt: ['输入案卷号', 'Enter the case number'],
  history: ['处理过程', 'History'],
  reportedAt: ['上报时间', 'Reported'],
  inGrid: ['所在网格', 'Grid'],
  outside: ['该位置不在任何网格内', 'This place is outside every grid'],
  myGrids: ['我的网格', 'My grids'],
  openIncidents: ['待办事件', 'Open incidents'],
  none: ['暂无', 'None'],
  actions: ['操作', 'Actions'],
  note: ['说明', 'Note'],
  handle: ['处置', 'Handle'],
  escalate: ['上报上级', 'Escalate'],
  confirm: ['核查结案', 'Confirm'],
  reject: ['退回', 'Reject'],
  dispatch: ['派遣', 'Dispatch'],
  cancel: ['不予立案', 'Cancel'],
  defer: ['延期', 'Defer'],
  merge: ['合并', 'Merge'],
  department: ['部门', 'Department'],
  done: ['已完成', 'Done'],
  live: ['实时', 'Live'],
  offline: ['实时连接中断，正在重连', 'Live feed interrupted; reconnecting'],
  allStatuses: ['全部状态', 'All statuses'],
  allLevels: ['全部层级', 'All levels'],
  onlyOverdue: ['仅超期', 'Overdue only'],
  queue: ['事件队列', 'Queue'],
  plans: ['规划方案', 'Plans'],
  newPlan: ['新方案', 'New plan'],
  startFromGrids: ['从现行网格开始编辑', 'Start from the grids in force'],
  drawPolygon: ['画网格', 'Draw a grid'],
  select: ['选择/编辑', 'Select / edit'],
  upload: ['上传（GeoJSON、Shapefile zip 或 GeoPackage）', 'Upload (GeoJSON, zipped Shapefile or GeoPackage)'],
  check: ['校验', 'Check'],
  impact: ['影响分析', 'Impact'],
  publish: ['发布', 'Publish'],
  valid: ['校验通过', 'Valid'],
  invalidReport: ['存在问题', 'Problems found'],
  overlaps: ['重叠', 'Overlaps'],
  gaps: ['缝隙', 'Gaps'],
  invalidGeoms: ['无效图形', 'Invalid shapes'],
  outsideParent: ['超出上级', 'Outside parent'],
  shapeProblems: ['图形有问题，尚未提交', 'Shape problems, not sent yet'],
  selfIntersection: ['自相交', 'Self-intersection'],
  invalidShape: ['无效图形', 'Invalid shape'],
  noArea: ['没有面积', 'No area'],
  sendAnyway: ['仍然提交校验', 'Send to check anyway'],
  area: ['面积', 'Area'],
  published: ['已发布', 'Published'],
  repair: ['修复', 'Repair'],
  impactGrids: ['改动 / 新增 / 撤销的网格', 'Grids changed / new / retired'],
  impactStaff: ['人员分工', 'Staff assignments'],
  repairMakeValid: ['修复无效图形（自相交等）', 'Make invalid shapes valid (self-intersections…)'],
  repairSnap: ['顶点吸附到相邻网格（米）', 'Snap vertices to neighbours within (m)'],
  repairGaps: ['缝隙并入相邻网格，面积不超过（平方米）', 'Merge gaps into a neighbour, up to (m²)'],
  repairOverlaps: ['重叠分给一侧，面积不超过（平方米）', 'Give overlaps to one side, up to (m²)'],
  unavailable: ['该功能的服务接口暂不可用', 'The service behind this page is not available yet'],
  needRole: ['此页面需要以下角色登录：', 'This page needs a login with role: '],
  print: ['打印', 'Print'],
  scanToReport: ['扫码上报问题', 'Scan to report a problem'],
  community: ['社区', 'Community'],
  police: ['社区民警', 'Police'],
  error: ['出错了', 'Error'],
  codePrompt: ['新网格编码', 'Code of the new grid'],
  features: ['个网格', 'grids'],
  planTitle: ['方案名称', 'Plan title'],
  assetLedger: ['部件管理', 'Assets'],
  ledger: ['部件台账', 'Asset ledger'],
  allCategories: ['全部类别', 'All categories'],
  gridCode: ['网格编码', 'Grid code'],
  assetCode: ['部件编码', 'Asset code'],
  previousPage: ['上一页', 'Previous page'],
  addAsset: ['新增部件', 'Add an asset'],
  pickOnMap: ['在地图上点击部件的位置', 'Click the asset\'s place on the map'],
  codeAndPlace: ['请填写编码并在地图上选择位置', 'Give a code and pick the place on the map'],
  nextPage: ['下一页', 'Next page'],
  importAssets: ['导入部件', 'Import assets'],
  importHint: [
    'CSV（code、category_code、status、lon、lat 或 wkt 列，UTF-8 或 GBK）、GeoJSON 或 GeoJSONSeq，最多 100 万行。先检查：每个错误行都会列出行号和原因；全部正确才导入（或勾选跳过错误行）。',
    'CSV (columns code, category_code, status, lon, lat or wkt; UTF-8 or GBK), GeoJSON or GeoJSONSeq, up to 1,000,000 rows. Check first: every bad row is listed with its line and reason; the file is imported only when all rows are good (or when skipping bad rows).',
  ],
  assetFile: ['文件', 'File'],
  skipBadRows: ['跳过错误行，导入其余', 'Skip bad rows, import the rest'],
  checkFile: ['检查', 'Check'],
  importFile: ['导入', 'Import'],
  checking: ['正在检查…', 'Checking…'],
  importing: ['正在导入…', 'Importing…'],
  rowsChecked: ['行数', 'Rows'],
  goodRows: ['正确', 'Good'],
  badRows: ['错误', 'Bad'],
  imported: ['已导入', 'Imported'],
  line: ['行号', 'Line'],
  code: ['编码', 'Code'],
  reason: ['原因', 'Reason'],
  more: ['条未列出', 'more not listed'],
  position: ['位置', 'Position'],
  save: ['保存', 'Save'],
  statusUnchanged: ['状态未改变：请选择新的状态', 'The status is the same: choose another'],
  appraisal: ['绩效考核', 'Appraisal'],
  month: ['月份', 'Month'],
  by: ['考核对象', 'Rows by'],
  byGrid: ['网格', 'Grid'],
  score: ['评分指标', 'Score'],
  rank: ['排名', 'Rank'],
  rowName: ['名称', 'Name'],
  closureRate: ['结案率', 'Closure rate'],
  onTimeRate: ['按期结案率', 'On-time rate'],
  found: ['主动发现', 'Found'],
  handledCount: ['处置数', 'Handled'],
  rework: ['返工', 'Rework'],
  missed: ['漏报', 'Missed discoveries'],
  targetMet: ['达标', 'Target met'],
  ranking: ['考核排名', 'Ranking'],
  trend: ['月度趋势', 'Trend over months'],
  scoreMap: ['网格评分', 'Grids by score'],
  downloadCsv: ['下载 CSV', 'Download CSV'],
  downloadXlsx: ['下载 Excel', 'Download XLSX'],
  itemsBehind: ['相关事件', 'incidents behind it'],
  noMapForDepartments: ['部门不在地图上着色', 'Departments are not drawn on the map'],
  worse: ['差', 'Worse'],
  better: ['好', 'Better'],
  loading: ['加载中…', 'Loading…'],
  close: ['关闭', 'Close'],
  rowsCount: ['行', 'rows'],
  noData: ['无数据', 'No data'],
} as const satisfies Record<string, readonly [string, string]>;

/** A key of the string table. */
export type Key = keyof typeof STRINGS;

/** The language in use: the saved choice, else Chinese when the browser prefers it, else English. */
export function currentLang(): Lang {
  const saved = localStorage.getItem('gridwork.lang');
  if (saved === 'zh' || saved === 'en') return saved;
  const prefs = navigator.languages?.length ? navigator.languages : [navigator.language];
  return prefs.some((l) => l.toLowerCase().startsWith('zh')) ? 'zh' : 'en';
}

/** Switch and remember the language. */
export function setLang(lang: Lang): void {
  localStorage.setItem('gridwork.lang', lang);
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
}

/** The string for a key in the current language. */
export function t(key: Key): string {
  return STRINGS[key][currentLang() === 'zh' ? 0 : 1];
}

/** The statuses of an asset, in the order of their lifecycle. */
export const ASSET_STATUSES = ['normal', 'damaged', 'missing', 'repairing', 'retired'] as const;

/** The label of an asset status (normal, damaged, missing, repairing, retired); unknown ones as they are. */
export function assetStatus(status: string | null | undefined): string {
  if (!status) return '';
  const key = `asset${status[0].toUpperCase()}${status.slice(1)}`;
  return key in STRINGS ? t(key as Key) : status;
}

/** The label of a status, level or workflow step by its code (`open`, `centre`, `dispatch`); an unknown code as it is. */
export function word(code: string): string {
  return Object.hasOwn(STRINGS, code) ? t(code as Key) : code;
}

/** Pick the Chinese or English name of a thing that has both. */
export function nameOf(o: { name: string; name_en?: string | null }): string {
  return currentLang() === 'en' && o.name_en ? o.name_en : o.name;
}
