// Vietnamese labels for what the catalog names only in English: data fields,
// enum values and reporter roles. The catalog itself (GET /v1/catalog) says
// which fields a type has, their kinds and bounds; a name missing here is
// shown as it is, so a type added to the catalog still gets a working form.

export const FIELD_LABELS = {
  level: 'Cấp đoàn',
  purpose: 'Mục đích',
  members: 'Số thành viên',
  countries: 'Các quốc gia',
  in_plan: 'Trong kế hoạch',
  change: 'Hình thức thay đổi',
  reason: 'Lý do',
  origin_country: 'Quốc gia của đoàn',
  kind: 'Loại',
  agreement_id: 'Mã thỏa thuận',
  partner_country: 'Quốc gia đối tác',
  partner_type: 'Loại đối tác',
  renewal: 'Gia hạn',
  format: 'Hình thức tổ chức',
  permitted_by: 'Cấp cho phép',
  foreign_delegates: 'Số đại biểu nước ngoài',
  location: 'Địa điểm',
  country: 'Quốc gia',
  booths: 'Số gian hàng',
  visitors: 'Số lượt khách',
  sales: 'Doanh số',
  project_id: 'Mã dự án',
  sector: 'Lĩnh vực',
  capital: 'Vốn đăng ký',
  capital_added: 'Vốn tăng thêm',
  donor_id: 'Mã nhà tài trợ',
  amount: 'Giá trị',
  ngo_id: 'Mã tổ chức PCPNN',
  donor_country: 'Quốc gia của nhà tài trợ',
  form: 'Hình thức viện trợ',
  value: 'Giá trị',
  journalists: 'Số phóng viên',
  channel: 'Kênh phát hành',
  items: 'Số sản phẩm',
  case_id: 'Mã vụ việc',
  case_type: 'Loại vụ việc',
  persons: 'Số người',
  nationality: 'Quốc tịch',
  border: 'Tuyến biên giới với',
  markers: 'Số mốc',
  sets: 'Số bộ hài cốt',
  participants: 'Số người tham dự',
  donation: 'Kiều bào ủng hộ',
  topic: 'Chủ đề',
  metric: 'Chỉ tiêu',
  metrics: 'Các chỉ tiêu',
  period: 'Kỳ báo cáo',
};

// where one field name means something narrower in one type
export const FIELD_LABELS_BY_TYPE = {
  'delegation.in.received': { kind: 'Loại đoàn', members: 'Số thành viên đoàn' },
  'delegation.out.cancelled': { reason: 'Lý do hủy hoặc điều chỉnh' },
  'culture.event.held': { kind: 'Loại hoạt động', visitors: 'Số lượt khách quốc tế' },
  'foreign_national.incident': { kind: 'Loại vụ việc', persons: 'Số người nước ngoài liên quan' },
  'border.incident': { kind: 'Loại vụ việc' },
  'overseas_vietnamese.engagement': { kind: 'Loại hoạt động' },
  'overseas_vietnamese.population.reported': { country: 'Quốc gia cư trú', persons: 'Số người' },
  'friendship.activity.held': { kind: 'Loại hoạt động' },
  'friendship.membership.reported': { members: 'Số hội viên' },
  'inspection.conducted': { kind: 'Nội dung thanh tra, kiểm tra' },
  'policy_document.issued': { level: 'Cơ quan ban hành' },
  'plan.target.set': { value: 'Chỉ tiêu (số lượng)', amount: 'Chỉ tiêu (giá trị tiền)' },
  'ngo.registration.ended': { reason: 'Lý do' },
  'fdi.project.terminated': { capital: 'Vốn của dự án' },
};

export const VALUE_LABELS = {
  // delegations
  provincial_leaders: 'Lãnh đạo tỉnh',
  departments: 'Sở, ban, ngành',
  communes: 'Xã, phường',
  mass_organisations: 'Đoàn thể',
  enterprises: 'Doanh nghiệp',
  cooperation: 'Hợp tác',
  trade_investment: 'Xúc tiến thương mại, đầu tư',
  study_training: 'Học tập, đào tạo',
  conference: 'Dự hội nghị',
  culture_sport: 'Văn hóa, thể thao',
  cancelled: 'Hủy',
  adjusted: 'Điều chỉnh',
  government: 'Cơ quan chính phủ',
  embassy: 'Đại sứ quán',
  consulate: 'Tổng lãnh sự quán',
  international_org: 'Tổ chức quốc tế',
  ngo: 'Tổ chức phi chính phủ',
  enterprise: 'Doanh nghiệp',
  partner_locality: 'Địa phương kết nghĩa',
  overseas_vietnamese: 'Người Việt Nam ở nước ngoài',
  // agreements
  government_agency: 'Cơ quan nhà nước',
  locality: 'Địa phương',
  university: 'Trường đại học',
  // conferences
  in_person: 'Trực tiếp',
  online: 'Trực tuyến',
  hybrid: 'Kết hợp',
  prime_minister: 'Thủ tướng Chính phủ',
  ministry: 'Bộ, ngành',
  provincial_committee: 'UBND tỉnh',
  // trade, FDI, ODA, NGO aid
  domestic: 'Trong nước',
  abroad: 'Nước ngoài',
  manufacturing: 'Công nghiệp chế biến, chế tạo',
  energy: 'Năng lượng',
  real_estate: 'Bất động sản',
  agriculture: 'Nông nghiệp',
  services: 'Dịch vụ',
  infrastructure: 'Hạ tầng',
  health: 'Y tế',
  education: 'Giáo dục',
  environment: 'Môi trường',
  social: 'Xã hội',
  project: 'Dự án',
  non_project: 'Phi dự án',
  emergency: 'Cứu trợ khẩn cấp',
  expired: 'Hết hạn',
  revoked: 'Bị thu hồi',
  withdrawn: 'Tổ chức tự rút',
  // culture, information
  festival: 'Lễ hội',
  exhibition: 'Triển lãm',
  performance: 'Biểu diễn nghệ thuật',
  sport: 'Thể thao',
  friendship_exchange: 'Giao lưu hữu nghị',
  print: 'Báo in',
  broadcast: 'Phát thanh, truyền hình',
  social_media: 'Mạng xã hội',
  publication: 'Ấn phẩm',
  // citizen protection, incidents, border
  detained_abroad: 'Công dân bị bắt giữ ở nước ngoài',
  fishermen_detained: 'Ngư dân bị bắt giữ',
  trafficking: 'Mua bán người',
  labour: 'Lao động',
  death: 'Tử vong',
  rescue: 'Cứu hộ, cứu nạn',
  missing: 'Mất tích',
  accident: 'Tai nạn',
  crime: 'Vi phạm hình sự',
  violation: 'Vi phạm hành chính',
  encroachment: 'Lấn chiếm',
  illegal_crossing: 'Xuất nhập cảnh trái phép',
  smuggling: 'Buôn lậu',
  marker_damage: 'Hư hại mốc giới',
  // overseas Vietnamese, friendship, training, inspections, documents
  tet_gathering: 'Gặp mặt dịp Tết',
  visit: 'Thăm, làm việc',
  homeland_tour: 'Về thăm quê hương',
  investment_promotion: 'Xúc tiến đầu tư',
  exchange: 'Giao lưu',
  charity: 'Từ thiện',
  commemoration: 'Kỷ niệm',
  protocol: 'Lễ tân đối ngoại',
  foreign_languages: 'Ngoại ngữ',
  international_law: 'Luật pháp quốc tế',
  economic_diplomacy: 'Ngoại giao kinh tế',
  delegations: 'Quản lý đoàn ra, đoàn vào',
  conferences: 'Hội nghị, hội thảo quốc tế',
  ngo_aid: 'Viện trợ PCPNN',
  agreements: 'Thỏa thuận quốc tế',
  party_committee: 'Tỉnh ủy',
  peoples_council: 'HĐND tỉnh',
  peoples_committee: 'UBND tỉnh',
  department: 'Sở, ngành',
  other: 'Khác',
};

// a value whose label depends on the field it is in
export const VALUE_LABELS_BY_FIELD = {
  topic: { border: 'Công tác biên giới' },
};

export const REPORTER_LABELS = {
  dept_foreign_affairs: 'Sở Ngoại vụ',
  dept_tourism: 'Sở Văn hóa, Thể thao và Du lịch',
  peoples_committee_office: 'Văn phòng UBND tỉnh',
  fatherland_front: 'Ủy ban MTTQ Việt Nam tỉnh',
  friendship_union: 'Liên hiệp các tổ chức hữu nghị',
  border_guard: 'Bộ đội Biên phòng',
  police: 'Công an tỉnh',
  dept_industry_trade: 'Sở Công Thương',
  dept_finance: 'Sở Tài chính',
  dept_culture: 'Sở Văn hóa',
  dept_home_affairs: 'Sở Nội vụ',
  other: 'Đơn vị khác',
};

// the codes of the core's errors (docs/events.md "Errors"), said in Vietnamese
export const ERROR_CODE_LABELS = {
  json: 'Không phải JSON hợp lệ',
  schema: 'Sai dữ liệu',
  unknown_type: 'Loại sự kiện không có trong danh mục',
  province: 'Không xác định được tỉnh, thành phố',
  time: 'Thời gian không hợp lệ',
  limit: 'Vượt giới hạn',
  csv: 'Lỗi định dạng CSV',
  kafka: 'Hệ thống chưa xác nhận',
};

export function fieldLabel(type, field) {
  return (FIELD_LABELS_BY_TYPE[type] || {})[field] || FIELD_LABELS[field] || field;
}

export function valueLabel(field, value) {
  return (VALUE_LABELS_BY_FIELD[field] || {})[value] || VALUE_LABELS[value] || value;
}

export function reporterLabel(role) {
  return REPORTER_LABELS[role] || role;
}
