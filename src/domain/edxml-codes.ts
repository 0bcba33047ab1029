// Enumerations carried by edXML packages (QCVN 102:2016/BTTTT, as the vendor SDK uses them; DOMAIN.md
// §3–§4), each with the Vietnamese label the UI shows. The registry maps them to its own states.

/** OtherInfo/Priority: độ khẩn. */
export type EdxmlPriority = 0 | 1 | 2 | 3 | 4;
export const edxmlPriorityLabels: Readonly<Record<EdxmlPriority, string>> = {
  0: 'Thường',
  1: 'Khẩn',
  2: 'Thượng khẩn',
  3: 'Hỏa tốc',
  4: 'Hỏa tốc hẹn giờ',
};
export const isEdxmlPriority = (value: number): value is EdxmlPriority => Number.isInteger(value) && value >= 0 && value <= 4;

/** TraceHeaderList/Bussiness/BussinessDocType: the business operation a document package performs. */
export type BusinessDocType = 0 | 1 | 2 | 3;
export const businessDocTypeLabels: Readonly<Record<BusinessDocType, string>> = {
  0: 'Văn bản mới',
  1: 'Thu hồi văn bản',
  2: 'Cập nhật văn bản',
  3: 'Thay thế văn bản',
};
export const isBusinessDocType = (value: number): value is BusinessDocType => Number.isInteger(value) && value >= 0 && value <= 3;

/** Bussiness/BussinessDocumentInfo/ReceiverList/Receiver/ReceiverType: 0 removed, 1 added. */
export type ReceiverChange = 0 | 1;
export const receiverChangeLabels: Readonly<Record<ReceiverChange, string>> = { 0: 'Bỏ khỏi danh sách nhận', 1: 'Thêm vào danh sách nhận' };

/** Status message StatusCode (DOMAIN.md §4). Codes 07–12 and 14 are not used. */
export const statusCodes = ['01', '02', '03', '04', '05', '06', '13', '15', '16'] as const;
export type StatusCode = (typeof statusCodes)[number];
export const statusCodeLabels: Readonly<Record<StatusCode, string>> = {
  '01': 'Đã đến',
  '02': 'Từ chối tiếp nhận',
  '03': 'Đã tiếp nhận',
  '04': 'Phân công',
  '05': 'Đang xử lý',
  '06': 'Hoàn thành',
  '13': 'Yêu cầu lấy lại',
  '15': 'Đồng ý',
  '16': 'Từ chối',
};
export const isStatusCode = (value: string): value is StatusCode => (statusCodes as readonly string[]).includes(value);
