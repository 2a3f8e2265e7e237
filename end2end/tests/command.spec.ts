import { Page } from '@playwright/test';
import { test, expect, driverApplies, signIn, newPage, ADMIN_PASSWORD } from './fixtures';

const PASSWORD = ADMIN_PASSWORD;

const totalPending = (page: Page) => page.locator('.totals [data-k="FigPending"] dd');

test.describe('leaders watch every county live', () => {
  test.skip(!PASSWORD, 'the command centre specs need the admins made by scripts/test.sh');

  test('a join made in another browser appears on an open dashboard without reload', async ({ page, browser }, info) => {
    test.skip(info.project.name === 'phone-nojs', 'live figures need JavaScript (the page says so)');
    const leader = await newPage(browser, info.project.use);
    await signIn(leader, 'e2e_leader');
    await leader.getByRole('link', { name: '指挥中心' }).click();
    await expect(leader.getByRole('heading', { name: '指挥中心' })).toBeVisible();
    await expect(leader.getByText('实时更新中')).toBeVisible();
    const before = Number(await totalPending(leader).textContent());
    // Nothing reloads the leader's page from here on.
    await leader.evaluate(() => { (window as any).__sameDocument = true; });
    await driverApplies(page, '龙子湖区总工会');
    await expect(totalPending(leader)).toHaveText(String(before + 1), { timeout: 5_000 });
    expect(await leader.evaluate(() => (window as any).__sameDocument)).toBe(true);
    const county = leader.locator('li.union', { hasText: '龙子湖区总工会' });
    await expect(county.locator('[data-k="FigPending"] dd')).not.toHaveText('0');
    await leader.context().close();
  });

  test('a leader drills down from the city to a workplace and back', async ({ browser }, info) => {
    const leader = await newPage(browser, info.project.use);
    await signIn(leader, 'e2e_leader');
    await leader.goto('/admin/command');
    if (info.project.name === 'phone-nojs') {
      await expect(leader.getByText(/开启 JavaScript 后数字自动刷新/)).toBeVisible();
    }
    await expect(leader.locator('.chart svg')).toBeVisible();
    await leader.getByRole('link', { name: '蚌埠市道路货物运输行业工会联合会' }).click();
    await leader.getByRole('link', { name: '蚌埠市力源港务集团公司工会' }).click();
    await expect(leader.locator('.totals h2')).toContainText('蚌埠市力源港务集团公司工会');
    // The fleet group is the bottom of the tree: a name, no link.
    await expect(leader.locator('li.union', { hasText: '力源港务货运车队一组' })).toBeVisible();
    await expect(leader.getByRole('link', { name: '力源港务货运车队一组' })).toHaveCount(0);
    const crumbs = leader.getByRole('navigation', { name: '层级' });
    await expect(crumbs.getByRole('listitem')).toHaveCount(3);
    await crumbs.getByRole('link', { name: '蚌埠市总工会' }).click();
    await expect(leader.locator('.totals h2')).toContainText('蚌埠市总工会');
    await leader.context().close();
  });

  test('a county admin sees only the county and the overdue list', async ({ browser }, info) => {
    const admin = await newPage(browser, info.project.use);
    await signIn(admin, 'e2e_lzh_mgr');
    await admin.goto('/admin/command');
    await expect(admin.locator('.totals h2')).toContainText('龙子湖区总工会');
    await expect(admin.getByText('蚌山区总工会')).toHaveCount(0);
    await admin.getByRole('link', { name: '逾期督办' }).click();
    await expect(admin.getByRole('heading', { name: /逾期督办/ })).toBeVisible();
    await admin.context().close();
  });
});
