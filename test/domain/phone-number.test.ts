import { maskPhoneNumber, parsePhoneNumber, toE164 } from '../../src/domain/phone-number';

describe('parsePhoneNumber', () => {
  it.each([
    ['+14255550123', '+14255550123', '1', '4255550123'],
    ['14255550123', '+14255550123', '1', '4255550123'],
    ['+1 (425) 555-0123', '+14255550123', '1', '4255550123'],
    ['+1.425.555.0123', '+14255550123', '1', '4255550123'],
    ['+44 20 7946 0958', '+442079460958', '44', '2079460958'],
    ['+91 98765 43210', '+919876543210', '91', '9876543210'],
  ])('accepts %p', (input, e164, countryCode, nationalNumber) => {
    expect(parsePhoneNumber(input)).toEqual({ e164, countryCode, nationalNumber });
  });

  it.each(['', 'abc', '+1 425 555 01', '+1425555012345678', '0044207946', '+1 425 555 0123 ext 4', '+999 1234 5678', '+1-425-555-0123; DROP'])(
    'refuses %p',
    (input) => expect(parsePhoneNumber(input)).toBeNull(),
  );
});

describe('toE164', () => {
  it('normalises Meta display and webhook forms alike', () => {
    expect(toE164('+1 425-555-0100')).toBe('+14255550100');
    expect(toE164('14255550100')).toBe('+14255550100');
    expect(toE164('12')).toBeNull();
  });
});

describe('maskPhoneNumber', () => {
  it('keeps the prefix and the last three digits only', () => {
    expect(maskPhoneNumber('+14255550123')).toBe('+1425****123');
    expect(maskPhoneNumber('14255550123')).toBe('+1425****123');
    expect(maskPhoneNumber('+32665')).toBe('+****');
    expect(maskPhoneNumber(undefined)).toBe('(none)');
  });
});
