import type { Screen } from '../../runtime/flows/screen-model.js';
import { buildVietQr } from '../../runtime/services/vietqr.js';

const homeKeys: Screen['keys'] = [{ key: 'help', label: 'Trợ giúp' }];
const stepKeys: Screen['keys'] = [
  { key: 'back', label: 'Quay lại' },
  { key: 'home', label: 'Trang chủ' },
  { key: 'help', label: 'Trợ giúp' },
];

/** The payload a bill-payment step would show: a dynamic VietQR for a water bill. */
export const sampleQrPayload = buildVietQr({
  bankBin: '970436', account: '0071000123456', amount: 186_500, bill: 'HD2611-004512', terminal: 'hcm-station-00',
  purpose: 'Tien nuoc thang 11',
});

/** One Screen of every kind the flow engine produces, in Vietnamese, as the display tests use them. */
export const sampleScreens: Record<string, Screen> = {
  home: {
    kind: 'home', locale: 'vi', title: 'Trạm công dân số — Xin chào',
    body: ['Nhấn số trên bàn phím hoặc chạm vào dịch vụ.'],
    options: [
      { key: '1', label: 'Khám sức khỏe', hint: 'Cân nặng, huyết áp, SpO₂' },
      { key: '2', label: 'Thanh toán hóa đơn', hint: 'Điện, nước, Internet, học phí' },
      { key: '3', label: 'Tra cứu hồ sơ' },
      { key: '4', label: 'Báo tin an ninh trật tự' },
      { key: '5', label: 'Bảo hiểm y tế' },
      { key: '6', label: 'Góp ý' },
    ],
    keys: homeKeys,
    help: 'Chọn dịch vụ bằng cách nhấn số tương ứng trên bàn phím.\nNhấn phím ? để đóng trợ giúp.',
  },
  identity: {
    kind: 'identity', flowId: 'bill-payment', stepId: 'identity', locale: 'vi', title: 'Nhập số CCCD',
    body: ['Quét mã QR trên CCCD hoặc nhập 12 chữ số.'],
    input: { mask: '___ ___ ___ ___', value: '079*****', maxLength: 12, charset: 'digits', placeholder: '12 chữ số' },
    keys: [{ key: 'ok', label: 'Xác nhận' }, ...stepKeys],
    help: 'Đặt mặt sau CCCD dưới máy quét, hoặc nhập từng số rồi nhấn OK.',
  },
  measureBp: {
    kind: 'measure', flowId: 'health-check', stepId: 'blood-pressure', locale: 'vi', title: 'Đo huyết áp',
    body: ['Ngồi yên, thả lỏng tay. Vòng bít đang bơm.'],
    progress: { label: 'Áp lực vòng bít', value: 142, unit: 'mmHg', fraction: 0.55 },
    keys: stepKeys,
  },
  measureSpo2: {
    kind: 'measure', flowId: 'health-check', stepId: 'spo2', locale: 'vi', title: 'Đo SpO₂ và nhịp tim',
    body: ['Giữ ngón tay yên trong kẹp cảm biến.'],
    progress: { label: 'Thời gian còn lại', value: 12, unit: 'giây', fraction: 0.4 },
    keys: stepKeys,
  },
  measureScale: {
    kind: 'measure', flowId: 'health-check', stepId: 'weight', locale: 'vi', title: 'Cân nặng',
    body: ['Đứng yên trên cân, chờ số ổn định.'],
    progress: { label: 'Đang ổn định', value: 61.4, unit: 'kg' },
    keys: stepKeys,
  },
  lookup: {
    kind: 'lookup', flowId: 'bill-payment', stepId: 'lookup-evn', locale: 'vi', title: 'Đang tra cứu hóa đơn…',
    progress: { label: 'Đang hỏi Tổng công ty Điện lực TP.HCM' }, keys: [{ key: 'home', label: 'Trang chủ' }],
  },
  result: {
    kind: 'result', flowId: 'health-check', stepId: 'result', locale: 'vi', title: 'Kết quả khám',
    rows: [
      { label: 'Huyết áp', value: '148/95', unit: 'mmHg', tone: 'warning', band: 'Tăng huyết áp độ 1' },
      { label: 'SpO₂', value: '97', unit: '%', tone: 'good', band: 'Bình thường' },
      { label: 'Nhịp tim', value: '78', unit: 'lần/phút', tone: 'good', band: 'Bình thường' },
      { label: 'BMI', value: '24,1', tone: 'caution', band: 'Thừa cân' },
    ],
    body: ['Huyết áp hơi cao. Nên nghỉ ngơi, ăn nhạt và đo lại sau 1 tuần.'],
    options: [{ key: '1', label: 'In phiếu kết quả' }, { key: '2', label: 'Gửi cho bác sĩ' }],
    keys: stepKeys,
  },
  /** The health check result exactly as the engine renders it: seven rows, four lines of advice. */
  resultFull: {
    kind: 'result', flowId: 'health-check', stepId: 'result', locale: 'vi', title: 'Kết quả đo sức khỏe', tone: 'warning',
    body: [
      'Nên giảm cân từ từ: vận động mỗi ngày, ăn ít dầu mỡ và đường.', 'Huyết áp tâm thu cao. Nên đi khám để được tư vấn.',
      'Bác/anh/chị nên đi khám bác sĩ để được tư vấn.', 'Kết quả chỉ để tham khảo, không thay thế chẩn đoán của bác sĩ.',
    ],
    rows: [
      { label: 'Cân nặng', value: '70.0', unit: 'kg' },
      { label: 'Chiều cao', value: '165', unit: 'cm' },
      { label: 'Chỉ số khối cơ thể (BMI)', value: '25.7', unit: 'kg/m²', tone: 'warning', band: 'Béo phì độ I' },
      { label: 'Huyết áp', value: '145/85', unit: 'mmHg', tone: 'warning', band: 'Tăng huyết áp tâm thu đơn độc' },
      { label: 'Nồng độ oxy trong máu (SpO2)', value: '97', unit: '%', tone: 'good', band: 'Bình thường' },
      { label: 'Nhịp tim', value: '72', unit: '/min', tone: 'good', band: 'Bình thường' },
      { label: 'Nhiệt độ cơ thể', value: '36.6', unit: '°C', tone: 'good', band: 'Bình thường' },
    ],
    options: [{ key: '1', label: 'In phiếu kết quả' }, { key: '2', label: 'Gửi kết quả cho bác sĩ từ xa' }],
    keys: [{ key: 'ok', label: 'Tiếp tục' }, { key: 'back', label: 'Quay lại' }, { key: 'home', label: 'Về trang chủ' }, { key: 'help', label: 'Trợ giúp' }],
  },
  pay: {
    kind: 'pay', flowId: 'bill-payment', stepId: 'pay', locale: 'vi', title: 'Quét mã để thanh toán',
    body: ['Mở ứng dụng ngân hàng, quét mã VietQR.'],
    qr: { payload: sampleQrPayload, amount: 186_500, reference: 'HD2611-004512' },
    countdown: 300,
    keys: [{ key: 'back', label: 'Hủy' }, { key: 'help', label: 'Trợ giúp' }],
    help: 'Mở ứng dụng ngân hàng trên điện thoại, chọn Quét QR và đưa camera vào mã.',
  },
  receipt: {
    kind: 'end', flowId: 'bill-payment', stepId: 'receipt', locale: 'vi', title: 'Đã thanh toán', tone: 'good',
    body: ['Giao dịch đã được ghi nhận. Phiếu đang được in.'],
    rows: [{ label: 'Số tiền', value: '186.500', unit: 'đồng' }, { label: 'Mã hóa đơn', value: 'HD2611-004512' }],
    keys: [{ key: 'home', label: 'Trang chủ' }],
  },
  error: {
    kind: 'error', flowId: 'health-check', stepId: 'blood-pressure', locale: 'vi', title: 'Chưa đo được huyết áp',
    tone: 'danger', errorCode: 'DEVICE_READ_FAILED',
    body: ['Vòng bít bị lỏng. Quấn lại vòng bít sát tay rồi nhấn OK để đo lại.'],
    keys: [{ key: 'ok', label: 'Đo lại' }, ...stepKeys],
  },
  idle: {
    kind: 'idle-warning', locale: 'vi', title: 'Bạn còn ở đây không?',
    body: ['Nhấn phím bất kỳ để tiếp tục.'], countdown: 20,
    keys: [{ key: 'ok', label: 'Tiếp tục' }],
  },
  maintenance: {
    kind: 'maintenance', locale: 'vi', title: 'Đang bảo trì', body: ['Trạm đang được bảo trì. Vui lòng quay lại sau.'],
    keys: [], banners: { maintenance: true },
  },
  outOfService: {
    kind: 'out-of-service', locale: 'vi', title: 'Tạm ngừng phục vụ', tone: 'danger',
    body: ['Trạm tạm ngừng phục vụ. Xin lỗi vì sự bất tiện.'], keys: [],
  },
  emergency: {
    kind: 'emergency', flowId: 'emergency', stepId: 'calling', locale: 'vi', title: 'Đang gọi Công an phường', tone: 'danger',
    body: ['Công an phường Bình Trưng đã nhận tin và đang gọi lại.', 'Hãy ở lại gần trạm. Khi nguy hiểm, gọi 113.'],
    keys: [{ key: 'home', label: 'Trang chủ' }],
  },
  payEnglish: {
    kind: 'pay', flowId: 'bill-payment', stepId: 'pay', locale: 'en', title: 'Scan to pay',
    body: ['Open your banking app and scan the VietQR code.'],
    qr: { payload: sampleQrPayload, amount: 186_500, reference: 'HD2611-004512' },
    countdown: 120,
    keys: [{ key: 'back', label: 'Cancel' }, { key: 'help', label: 'Help' }],
  },
  offlineHome: {
    kind: 'home', locale: 'vi', title: 'Trạm công dân số — Xin chào',
    options: [{ key: '1', label: 'Khám sức khỏe' }, { key: '2', label: 'Thanh toán hóa đơn' }],
    keys: homeKeys, banners: { offline: true },
  },
};
