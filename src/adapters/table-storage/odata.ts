/**
 * The OData filter template tag of @azure/data-tables, kept here so that building a filter does
 * not load the SDK (it is loaded on the first storage call; see tables.ts). String values are
 * quoted with `'` doubled, which is the only escaping OData string literals need.
 */
export function odata(strings: TemplateStringsArray, ...values: string[]): string {
  let filter = strings[0] ?? '';
  values.forEach((value, index) => {
    filter += `'${value.replace(/'/g, "''")}'${strings[index + 1] ?? ''}`;
  });
  return filter;
}
