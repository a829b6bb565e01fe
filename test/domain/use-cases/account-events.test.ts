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
