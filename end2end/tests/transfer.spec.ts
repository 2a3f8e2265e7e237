import { test, expect, driverApplies, messagesTo, signIn, newPage, ADMIN_PASSWORD } from './fixtures';

const masked = (phone: string) => `${phone.slice(0, 3)}****${phone.slice(7)}`;

test.describe('the turnover pool and membership transfers', () => {
  test.skip(!ADMIN_PASSWORD, 'the transfer specs need the admins made by scripts/test.sh');

  test('a county places a pooled member, the street union accepts, the member is told', async ({ page, browser, allowedConsole }, info) => {
    allowedConsole.push(/status of 404/);
    // A driver without a fixed workplace joins into the 龙子湖区 pool; the county approves.
    const { phone } = await driverApplies(page, '龙子湖区总工会');
    const county = await newPage(browser, info.project.use);
    await signIn(county, 'e2e_lzh_mgr');
    await county.locator('li.item', { hasText: masked(phone) }).getByRole('button', { name: '通过' }).click();
    await expect(county.getByText(/已处理/)).toBeVisible();

    // The pool list shows them, with days in the pool; the county places them.
    await county.getByRole('link', { name: '周转池' }).click();
    await expect(county.getByRole('heading', { name: /周转池/ })).toBeVisible();
    const pool = county.getByRole('region', { name: '龙子湖区总工会' });
    const row = pool.locator('li.item', { hasText: masked(phone) });
    await expect(row).toContainText('在池 0 天');
    const member = await row.getAttribute('data-member');
    await pool.getByLabel('安置到').selectOption({ label: '龙子湖区东风街道总工会' });
    await row.getByRole('button', { name: /安置/ }).click();
    await expect(county.getByText('接转已提交，等待接收单位办理。')).toBeVisible();
    await expect(county.locator('li.item', { hasText: masked(phone) })).toContainText('接转中');

    // The street union's manager accepts; its command centre counts one member more.
    const street = await newPage(browser, info.project.use);
    await signIn(street, 'e2e_df');
    const members = street.locator('section.totals [data-k="FigMembers"] dd');
    await street.goto('/admin/command');
    const before = Number(await members.textContent());
    await street.goto('/admin');
    await street.getByRole('link', { name: '会籍接转' }).click();
    const incoming = street.getByRole('list', { name: '待本单位接收' }).locator('li.item', { hasText: masked(phone) });
    await expect(incoming).toContainText('龙子湖区总工会（周转池） → 龙子湖区东风街道总工会');
    await expect(incoming).toContainText(/剩余 \d+ 天/);
    await incoming.getByRole('button', { name: '接收', exact: true }).click();
    await expect(street.getByText('已接收，会员已转入。')).toBeVisible();
    await expect(street.getByRole('list', { name: '办理记录' }).locator('li.item', { hasText: masked(phone) })).toContainText('已接收');

    // The member hears of it by SMS, keeping the member number; the pool no longer lists them.
    await expect.poll(() => messagesTo(phone).some((m) => m.template === 'transfer_done'), { timeout: 20_000 }).toBe(true);
    const done = messagesTo(phone).find((m) => m.template === 'transfer_done')!;
    expect(done.text).toContain('龙子湖区东风街道总工会');
    expect(done.text).toContain('会员号不变');
    await street.goto('/admin/command');
    await expect(members).toHaveText(String(before + 1));
    expect(Number(await street.locator('section.totals [data-k="FigPlaced"] dd').textContent())).toBeGreaterThanOrEqual(1);
    await county.goto('/admin/pool');
    await expect(county.locator('li.item', { hasText: masked(phone) })).toHaveCount(0);

    // A union elsewhere in the city sees no pool member and cannot open this one.
    const other = await newPage(browser, info.project.use);
    other.on('console', () => {});
    await signIn(other, 'e2e_ly');
    await other.goto('/admin/pool');
    await expect(other.locator('li.item', { hasText: masked(phone) })).toHaveCount(0);
    const res = await other.goto(`/admin/members/${member}/transfer`);
    expect(res?.status()).toBe(404);
    await expect(other.getByText('页面不存在')).toBeVisible();
    for (const p of [county, street, other]) await p.context().close();
  });
});
