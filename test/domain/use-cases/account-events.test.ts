import { effectOf } from '../../../src/domain/use-cases/account-events';

const at = '2026-11-01T10:00:00.000Z';
const disabledUpdate = (state: unknown) => ({
  id: 'e1',
  type: 'WhatsApp.AccountUpdate',
  data: { event: 'DISABLED_UPDATE', ban_info: { waba_ban_state: state, waba_ban_date: '2025-11-02' }, wabaId: '200' },
});

describe('effectOf DISABLED_UPDATE (docs/meta-graph.md: waba_ban_state is an array, a string is accepted too)', () => {
  it.each<[unknown, string]>([
    [['DISABLE'], 'DISABLE'],
    ['DISABLE', 'DISABLE'],
    [['reinstate'], 'REINSTATE'],
    [' REINSTATE ', 'REINSTATE'],
    [['SCHEDULE_FOR_DISABLE'], 'SCHEDULE_FOR_DISABLE'],
    [['', 'DISABLE'], 'DISABLE'],
  ])('%p is the ban state %s', (state, expected) => {
    expect(effectOf(disabledUpdate(state), at)).toEqual({
      facts: { accountBan: { value: expected, at } },
      detail: `account_update DISABLED_UPDATE ${expected}`,
    });
  });

  it.each<unknown>([[], [''], [42], null, undefined, 42, { state: 'DISABLE' }])('%p says nothing', (state) => {
    expect(effectOf(disabledUpdate(state), at)).toBeNull();
  });

  it('a DISABLED_UPDATE without ban_info says nothing', () => {
    expect(effectOf({ id: 'e2', type: 'WhatsApp.AccountUpdate', data: { event: 'DISABLED_UPDATE', wabaId: '200' } }, at)).toBeNull();
  });
});

describe('effectOf: what webhooks say about sending (docs/adr/0031)', () => {
  const quality = (event: string) => ({
    id: 'q1',
    type: 'WhatsApp.PhoneNumberQualityUpdate',
    data: { event, display_phone_number: '14255550123', current_limit: 'TIER_1K', wabaId: '200' },
  });

  it('a quality update FLAGGED is the phone status FLAGGED, for that number, with its limit', () => {
    expect(effectOf(quality('FLAGGED'), at)).toEqual({
      facts: { phoneStatus: { value: 'FLAGGED', at } },
      messagingLimit: 'TIER_1K',
      phoneNumber: '+14255550123',
      detail: 'phone_number_quality_update FLAGGED',
    });
  });

  it('UNFLAGGED says no status by itself: it is confirmed with Meta', () => {
    expect(effectOf(quality('UNFLAGGED'), at)).toMatchObject({ facts: {}, confirmWithMeta: true, phoneNumber: '+14255550123' });
  });

  it.each(['UPGRADE', 'DOWNGRADE'])('%s changes only the messaging limit', (event) => {
    const effect = effectOf(quality(event), at);
    expect(effect).toMatchObject({ facts: {}, messagingLimit: 'TIER_1K' });
    expect(effect?.confirmWithMeta).toBeUndefined();
  });

  it.each(['ACCOUNT_RESTRICTION', 'ACCOUNT_VIOLATION'])('account_update %s is confirmed with Meta', (event) => {
    expect(effectOf({ id: 'a1', type: 'WhatsApp.AccountUpdate', data: { event, wabaId: '200' } }, at)).toEqual({
      facts: {},
      confirmWithMeta: true,
      detail: `account_update ${event}`,
    });
  });
});
