// Vietnamese summaries of a validation report for the UI and the CLI (DESIGN.md: the UI speaks
// Vietnamese). One line: the verdict, then the reason in words a văn thư understands.
import type { Indication, SignatureValidationReport, SubIndication } from '../../domain/validation-report.ts';

const verdictVi: Readonly<Record<Indication, string>> = {
  TOTAL_PASSED: 'Chữ ký số hợp lệ',
  TOTAL_FAILED: 'Chữ ký số không hợp lệ',
  INDETERMINATE: 'Chưa xác định được tính hợp lệ của chữ ký số',
};

const reasonVi: Readonly<Partial<Record<SubIndication, string>>> = {
  FORMAT_FAILURE: 'chữ ký sai định dạng cho phép',
  HASH_FAILURE: 'nội dung đã bị thay đổi sau khi ký (mã băm không khớp)',
  SIG_CRYPTO_FAILURE: 'giá trị chữ ký không khớp với chứng thư số',
  REVOKED: 'chứng thư số đã bị thu hồi',
  NOT_YET_VALID: 'chứng thư số chưa có hiệu lực tại thời điểm ký',
  SIG_CONSTRAINTS_FAILURE: 'cơ quan ký không phải cơ quan gửi',
  SIGNED_DATA_NOT_FOUND: 'không tìm thấy dữ liệu được ký',
  NO_SIGNING_CERTIFICATE_FOUND: 'không tìm thấy chứng thư số của người ký',
  NO_CERTIFICATE_CHAIN_FOUND: 'không xây dựng được chuỗi chứng thư tới CA tin cậy',
  CHAIN_CONSTRAINTS_FAILURE: 'chứng thư số không đúng mục đích sử dụng hoặc ràng buộc chuỗi',
  CERTIFICATE_CHAIN_GENERAL_FAILURE: 'lỗi chuỗi chứng thư số',
  REVOKED_NO_POE: 'chứng thư số đã bị thu hồi, không có bằng chứng ký trước thời điểm thu hồi',
  REVOKED_CA_NO_POE: 'chứng thư CA đã bị thu hồi',
  OUT_OF_BOUNDS_NO_POE: 'chứng thư số hết hạn, không có dấu thời gian chứng minh thời điểm ký',
  OUT_OF_BOUNDS_NOT_REVOKED: 'chứng thư số hết hạn tại thời điểm kiểm tra',
  EXPIRED: 'chứng thư số đã hết hạn',
  TRY_LATER: 'chưa kiểm tra được tình trạng thu hồi, thử lại sau',
  TIMESTAMP_ORDER_FAILURE: 'thứ tự dấu thời gian không hợp lệ',
  GENERIC: 'lỗi không xác định',
};

export function describeVi(indication: Indication, subIndication: SubIndication | undefined, _message: string): string {
  const reason = subIndication ? reasonVi[subIndication] : undefined;
  return reason ? `${verdictVi[indication]}: ${reason}.` : `${verdictVi[indication]}.`;
}

const formVi: Readonly<Record<SignatureValidationReport['form'], string>> = {
  'XML-DSig': 'gói tin edXML', CMS: 'tệp ký rời CMS', PAdES: 'văn bản PDF', TimeStampToken: 'dấu thời gian',
};

/** The CLI's summary line: verdict, form, signer, times, organisation. */
export function summaryLineVi(r: SignatureValidationReport, index?: number): string {
  const parts = [`${index !== undefined ? `Chữ ký ${index + 1} ` : ''}(${formVi[r.form]}): ${r.messageVi} [${r.indication}${r.subIndication ? `/${r.subIndication}` : ''}]`];
  if (r.signer) parts.push(`người ký: ${r.signer.subject}`);
  const stamp = r.evidence.timestamps[0];
  if (stamp) parts.push(`dấu thời gian: ${stamp.genTime}`);
  else if (r.signingTime) parts.push(`thời điểm ký (tự khai): ${r.signingTime}`);
  parts.push(`kiểm tra lúc: ${r.validationTime}`);
  if (r.organisationCheck) parts.push(`cơ quan gửi: ${r.organisationCheck.status === 'matched' ? 'khớp' : r.organisationCheck.status === 'mismatched' ? 'KHÔNG khớp' : 'chưa kiểm tra'}`);
  return parts.join(' — ');
}
