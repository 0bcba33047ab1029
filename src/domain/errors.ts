// The one error catalogue (STYLE.md habit 5): stable snake_case codes grouped by part, each with the
// Vietnamese message the UI shows and an English message for operators and logs. Only the HTTP error
// handler (src/http/error-status.ts) maps a kind to a status code; the CLI maps kinds to exit codes.

export type ErrorKind =
  | 'invalid' // the input is wrong: fix it and retry
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict' // the state forbids it (duplicate, already done, wrong status)
  | 'too_large'
  | 'unavailable' // a dependency (database, broker, OCSP, TSA) cannot be reached now: retry later
  | 'internal';

interface CatalogueEntry {
  readonly kind: ErrorKind;
  readonly vi: string;
  readonly en: string;
}

const entry = (kind: ErrorKind, vi: string, en: string): CatalogueEntry => ({ kind, vi, en });

export const errorCatalogue = {
  // request / input
  'request.invalid': entry('invalid', 'Dữ liệu gửi lên không hợp lệ.', 'The request is invalid; see details for each field.'),
  'request.too_large': entry('too_large', 'Dữ liệu gửi lên vượt quá kích thước cho phép.', 'The request body is larger than the configured limit.'),
  'request.not_found': entry('not_found', 'Không tìm thấy đường dẫn yêu cầu.', 'No such route.'),
  'request.unsupported_media_type': entry('invalid', 'Định dạng dữ liệu không được hỗ trợ.', 'Unsupported content type.'),

  // configuration
  'config.invalid': entry('invalid', 'Cấu hình không hợp lệ.', 'The configuration is invalid; every bad key is listed.'),

  // auth
  'auth.invalid_credentials': entry('unauthenticated', 'Tên đăng nhập hoặc mật khẩu không đúng.', 'Wrong username or password.'),
  'auth.unauthenticated': entry('unauthenticated', 'Bạn cần đăng nhập để tiếp tục.', 'Log in first (session cookie or bearer token).'),
  'auth.session_expired': entry('unauthenticated', 'Phiên làm việc đã hết hạn, vui lòng đăng nhập lại.', 'The session or token has expired; log in again.'),
  'auth.forbidden': entry('forbidden', 'Bạn không có quyền thực hiện thao tác này.', 'Your role does not allow this action.'),
  'auth.other_agency': entry('forbidden', 'Bạn không có quyền truy cập dữ liệu của cơ quan khác.', 'You may act only for your own agency.'),
  'auth.account_disabled': entry('forbidden', 'Tài khoản đã bị khóa.', 'This account is disabled.'),

  // directory of agencies, users
  'agency.not_found': entry('not_found', 'Không tìm thấy cơ quan.', 'No agency with this organ id is hosted here.'),
  'agency.invalid_organ_id': entry('invalid', 'Mã định danh cơ quan không đúng định dạng.', 'The organ id is not in the QCVN 102 (LLL.KK.JJ.MXX) or QĐ 20/2020 form.'),
  'agency.duplicate': entry('conflict', 'Mã định danh cơ quan đã tồn tại.', 'An agency with this organ id already exists.'),
  'user.not_found': entry('not_found', 'Không tìm thấy người dùng.', 'No such user.'),
  'user.duplicate': entry('conflict', 'Tên đăng nhập đã tồn tại.', 'This username is taken.'),
  'unit.not_found': entry('not_found', 'Không tìm thấy đơn vị.', 'No such unit in this agency.'),

  // registry (Nghị định 30)
  'registry.document_not_found': entry('not_found', 'Không tìm thấy văn bản.', 'No such document in this agency.'),
  'registry.number_conflict': entry('conflict', 'Số và ký hiệu văn bản đã được sử dụng trong năm.', 'This (number, notation) is already used by the agency this year.'),
  'registry.book_not_found': entry('not_found', 'Không tìm thấy sổ đăng ký.', 'No such register book for this agency.'),
  'registry.invalid_state': entry('conflict', 'Trạng thái văn bản không cho phép thao tác này.', 'The document is not in a state that allows this action.'),
  'registry.already_issued': entry('conflict', 'Văn bản đã được phát hành.', 'The document has already been issued.'),
  'registry.unknown_type': entry('invalid', 'Tên loại văn bản không hợp lệ.', 'Unknown document type name (Nghị định 30, Phụ lục III).'),
  'registry.unit_abbreviation_required': entry('invalid', 'Công văn cần chữ viết tắt của đơn vị soạn thảo.', 'A công văn needs the drafting unit abbreviation for its notation.'),
  'registry.classified_not_electronic': entry('conflict', 'Văn bản mật không được gửi, nhận qua mạng.', 'Classified documents are never exchanged electronically.'),

  // attachments / storage
  'attachment.not_found': entry('not_found', 'Không tìm thấy tệp đính kèm.', 'No such attachment.'),
  'attachment.too_large': entry('too_large', 'Tệp đính kèm vượt quá 50 MB.', 'The attachment exceeds the per-file limit.'),
  'attachment.digest_mismatch': entry('conflict', 'Tệp đính kèm bị thay đổi (mã băm không khớp).', 'The attachment content does not match its SHA-256 digest.'),
  'storage.full': entry('unavailable', 'Ổ đĩa lưu trữ của hệ thống đã đầy; thao tác được thử lại khi có chỗ trống, không mất dữ liệu.', 'The storage volume of DATA_DIR is full (ENOSPC/EDQUOT): nothing was stored; free space, and what was being received is retried (not dead-lettered).'),
  'attachment.invalid_name': entry('invalid', 'Tên tệp đính kèm không hợp lệ.', 'Invalid attachment file name.'),

  // audit
  'audit.chain_broken': entry('conflict', 'Nhật ký kiểm tra đã bị sửa đổi hoặc xóa.', 'The audit chain is broken: an entry was altered or removed.'),
  'audit.read_only': entry('forbidden', 'Nhật ký kiểm tra không thể sửa đổi.', 'The audit log is append-only.'),

  // edXML
  'edxml.malformed': entry('invalid', 'Gói tin edXML không đúng cấu trúc.', 'The edXML package is not well-formed or not in the expected shape.'),
  'edxml.too_large': entry('too_large', 'Gói tin edXML vượt quá giới hạn cho phép.', 'The edXML package exceeds a size, depth or count limit.'),
  'edxml.dtd_forbidden': entry('invalid', 'Gói tin edXML chứa DTD hoặc thực thể, không được phép.', 'DOCTYPE and entity declarations are forbidden in edXML.'),
  'edxml.missing_field': entry('invalid', 'Gói tin edXML thiếu trường bắt buộc.', 'A required edXML element is missing.'),
  'edxml.invalid_field': entry('invalid', 'Gói tin edXML có trường sai định dạng.', 'An edXML element has an invalid value.'),
  'edxml.wrong_namespace': entry('invalid', 'Gói tin edXML sai không gian tên.', 'The root element is not in the QCVN 102:2016 namespace.'),
  'edxml.attachment_invalid': entry('invalid', 'Tệp đính kèm trong gói tin không hợp lệ.', 'An attachment is not valid base64, ZIP or does not match its manifest.'),

  // signatures and trust
  'pki.key_not_found': entry('not_found', 'Không tìm thấy khóa ký.', 'No signing key for this user or agency.'),
  'pki.wrong_pin': entry('forbidden', 'Mã PIN không đúng.', 'Wrong PIN.'),
  'pki.key_locked': entry('forbidden', 'Khóa ký bị tạm khóa do nhập sai PIN nhiều lần.', 'The key is locked after too many wrong PIN attempts.'),
  'pki.not_key_holder': entry('forbidden', 'Bạn không được dùng khóa ký này.', 'Only the key holder may use this key.'),
  'pki.invalid_certificate': entry('invalid', 'Chứng thư số không hợp lệ.', 'The certificate cannot be parsed or used.'),
  'pki.invalid_key': entry('invalid', 'Khóa bí mật hoặc mật khẩu không hợp lệ.', 'The private key or its passphrase is wrong.'),
  'pki.signature_invalid': entry('conflict', 'Chữ ký số không hợp lệ.', 'The signature does not verify; see the validation report.'),
  'pki.signature_format': entry('invalid', 'Chữ ký số sai định dạng cho phép.', 'The signature is outside the allowed profile.'),
  'pki.revocation_unavailable': entry('unavailable', 'Không kiểm tra được tình trạng thu hồi chứng thư số.', 'Revocation status cannot be obtained now (OCSP/CRL).'),
  'pki.tsa_unavailable': entry('unavailable', 'Không lấy được dấu thời gian.', 'The time-stamping authority cannot be reached.'),
  'pki.key_retired': entry('conflict', 'Khóa ký đã ngừng sử dụng (đã thay thế hoặc thu hồi).', 'The signing key is retired; use the active key.'),
  'pki.custody_secret_missing': entry('unavailable', 'Chưa cấu hình khóa bí mật của hệ thống để mở khóa ký của cơ quan.', 'The node key-encryption secret is not configured (see signing.nodeSecretEnv); organisation keys cannot be used.'),
  'signing.no_main_pdf': entry('conflict', 'Văn bản chưa có tệp PDF chính để ký.', 'The document has no main PDF attachment to sign.'),
  'signing.wrong_status': entry('conflict', 'Trạng thái văn bản không cho phép thao tác ký này.', 'The document status does not allow this signature.'),
  'signing.not_signed_by_leader': entry('conflict', 'Văn bản chưa được lãnh đạo ký số.', 'The agency signature follows the leader\'s personal signature; the document has none.'),
  'signing.main_changed': entry('conflict', 'Tệp PDF chính đã thay đổi trong lúc ký, vui lòng ký lại.', 'The main PDF changed while it was being signed (another signature or upload); sign again.'),
  'signing.already_sealed': entry('conflict', 'Văn bản đã được ký số của cơ quan.', 'The agency signature was already applied to this document.'),

  // axis
  'axis.unavailable': entry('unavailable', 'Không kết nối được trục liên thông.', 'The axis (message broker) cannot be reached; the send is retried.'),
  'axis.unknown_recipient': entry('invalid', 'Cơ quan nhận không có trong danh bạ trục liên thông.', 'The recipient organ id is not in the directory.'),
  'axis.directory_expired': entry('unavailable', 'Danh bạ trục liên thông đã hết hạn.', 'The agency directory is past its validity; sync a fresh one.'),
  'axis.duplicate': entry('conflict', 'Gói tin đã được nhận trước đó.', 'This package was already received.'),
  'axis.topology_mismatch': entry('internal', 'Cấu hình hàng đợi trên trục liên thông không khớp.', 'A broker exchange or queue exists with other settings than src/axis/topology.ts declares; fix or remove it.'),
  'axis.chunk_invalid': entry('invalid', 'Gói tin lớn bị thiếu, trùng hoặc hỏng một phần.', 'A chunk of a large package is missing, inconsistent or corrupted; the sender must re-send it.'),
  'axis.digest_mismatch': entry('invalid', 'Gói tin nhận được không khớp mã băm.', 'The received package does not match its SHA-256 digest header.'),
  'axis.invalid_headers': entry('invalid', 'Gói tin trên trục liên thông thiếu hoặc sai thông tin đầu.', 'A message on the axis lacks or has malformed headers (from, to, messagetype, servicetype, message id, digest).'),
  'axis.publish_refused': entry('unavailable', 'Trục liên thông từ chối gói tin.', 'The broker refused the message (nack); it is retried.'),
  'axis.dead_letters_in_process': entry('invalid', 'Trục liên thông nội bộ giữ các gói tin không xử lý được (dead-letter) trong bộ nhớ của nút đang chạy; lệnh này cần AXIS_URL (RabbitMQ).', 'The in-process axis keeps its dead letters in the running node\'s memory; this command needs AXIS_URL (RabbitMQ).'),
  'axis.directory_invalid': entry('invalid', 'Danh bạ trục liên thông không hợp lệ (chữ ký số hoặc nội dung sai).', 'The agency directory is not signed by the trusted directory key, or its content is invalid.'),
  'axis.directory_outdated': entry('conflict', 'Danh bạ trục liên thông cũ hơn danh bạ đang dùng.', 'The directory is not newer than the one installed; nothing changed.'),
  'exchange.not_sendable': entry('conflict', 'Văn bản chưa phát hành hoặc không được gửi qua trục liên thông.', 'Only an issued, unclassified outgoing document with recipients can be sent over the axis.'),
  'exchange.already_sent': entry('conflict', 'Văn bản đã được gửi tới cơ quan nhận này.', 'The document was already sent to this recipient.'),
  'exchange.not_received': entry('conflict', 'Văn bản không ở trạng thái đã đến để tiếp nhận hoặc trả lại.', 'The document is not a received electronic document awaiting the văn thư.'),
  'exchange.not_sent': entry('conflict', 'Văn bản chưa được gửi qua trục liên thông nên không thể cập nhật, thay thế hay thu hồi.', 'The document has not been sent over the axis; only a sent document can be updated, replaced or recalled.'),
  'exchange.request_pending': entry('conflict', 'Còn yêu cầu thu hồi, cập nhật hoặc thay thế chưa được cơ quan nhận trả lời.', 'A recall, update or replacement of this document is still waiting for a recipient\'s answer (15/16); wait for it first.'),
  'exchange.request_answered': entry('conflict', 'Yêu cầu đã được trả lời.', 'This request was already accepted or refused.'),
  'exchange.withdrawn': entry('conflict', 'Văn bản đã được thu hồi hoặc đã bị thay thế: không gửi, cập nhật, thu hồi hay thay thế lại được.', 'The outgoing document was recalled or replaced: it cannot be sent, updated, recalled or replaced again.'),
  'exchange.nothing_to_reprocess': entry('conflict', 'Không có gói tin nào trong khu cách ly có thể xử lý lại.', 'No quarantined package can be re-processed: only packages not answered 02 and not re-processed before.'),
  'exchange.package_not_rebuilt': entry('internal', 'Không dựng lại được gói tin đã ký từ các thành phần lưu trong hộp thư đi (tệp đính kèm bị thiếu hoặc khác); cần gửi lại văn bản.', 'The signed package could not be made again, byte for byte, from the parts the outbox keeps (an attachment file missing or different, or a change of the ZIP encoder): its entry fails with this reason; send the document again.'),
  'exchange.nothing_failed': entry('conflict', 'Không có gói tin gửi lỗi nào để gửi lại.', 'No failed outbox entry to send again: only entries whose retries ran out (delivery state failed) are sent again.'),
  'exchange.quarantine_not_found': entry('not_found', 'Không tìm thấy gói tin bị cách ly.', 'No quarantined package with this id for this agency.'),
  'exchange.quarantine_reprocessed': entry('conflict', 'Gói tin bị cách ly này đã được xử lý lại.', 'This quarantined package was already run through receipt again (once only); see its outcome.'),
  'exchange.quarantine_answered': entry('conflict', 'Gói tin đã bị từ chối (trạng thái 02) nên không xử lý lại được; cơ quan gửi cần gửi lại.', 'The sender was already answered 02 (refused) for this package; it must send it again rather than have it re-processed here.'),
  'exchange.quarantine_no_package': entry('conflict', 'Gói tin bị cách ly không còn nội dung để xử lý lại.', 'No package bytes were kept for this quarantine entry, so it cannot be re-processed.'),
  'exchange.no_organisation_key': entry('unavailable', 'Chưa có khóa ký số của cơ quan để ký gói tin.', 'No organisation key is available to sign packages for this agency.'),

  // infrastructure
  'db.unavailable': entry('unavailable', 'Cơ sở dữ liệu tạm thời không truy cập được.', 'The database cannot be reached; retry later.'),
  'internal.error': entry('internal', 'Đã có lỗi hệ thống, vui lòng thử lại hoặc báo quản trị.', 'Unexpected internal error; see the server log.'),
} as const satisfies Record<string, CatalogueEntry>;

export type ErrorCode = keyof typeof errorCatalogue;

export interface ErrorDetail {
  readonly field?: string;
  readonly message: string;
  readonly [key: string]: unknown;
}

/** The only error type the domain throws: a catalogue code, optional details, the original cause. */
export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly details: readonly ErrorDetail[];

  constructor(code: ErrorCode, options: { details?: readonly ErrorDetail[]; cause?: unknown; message?: string } = {}) {
    super(options.message ?? errorCatalogue[code].en, { cause: options.cause });
    this.name = 'DomainError';
    this.code = code;
    this.details = options.details ?? [];
  }

  get kind(): ErrorKind {
    return errorCatalogue[this.code].kind;
  }

  get messageVi(): string {
    return errorCatalogue[this.code].vi;
  }
}

export const isDomainError = (error: unknown, code?: ErrorCode): error is DomainError =>
  error instanceof DomainError && (code === undefined || error.code === code);
