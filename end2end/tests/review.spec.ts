import { Page } from '@playwright/test';
import { test, expect, driverApplies, messagesTo, signIn, newPage, ADMIN_PASSWORD } from './fixtures';

const PASSWORD = ADMIN_PASSWORD;
const masked = (phone: string) => `${phone.slice(0, 3)}****${phone.slice(7)}`;


test.describe('reviewers decide within the working day', () => {
  test.skip(!PASSWORD, 'the review specs need the admins made by scripts/test.sh');

  test('a reviewer approves what a driver just sent; the driver sees it', async ({ page, browser }, info) => {
    const { phone, status } = await driverApplies(page, '龙子湖区总工会');
    const reviewer = await newPage(browser, info.project.use);
    await signIn(reviewer, 'e2e_lzh');
    const card = reviewer.locator('li.item', { hasText: masked(phone) });
    await expect(card).toContainText('龙子湖区总工会（周转池）');
    await card.getByRole('button', { name: '通过' }).click();
    await expect(reviewer.getByText(/已处理/)).toBeVisible();
    await expect(reviewer.getByRole('button', { name: '撤销' })).toBeVisible();
    // The SMS leaves after the undo window.
    await expect.poll(() => messagesTo(phone).some((m) => m.template === 'approved'), { timeout: 20_000 }).toBe(true);
    await page.goto(status);
    await expect(page.getByText('已通过').first()).toBeVisible();
    await reviewer.context().close();
  });

  test('a desktop reviewer approves several at once', async ({ page, browser }, info) => {
    const a = await driverApplies(page, '龙子湖区总工会');
    const b = await driverApplies(page, '龙子湖区总工会');
    const reviewer = await newPage(browser, info.project.use);
    await signIn(reviewer, 'e2e_lzh');
    for (const phone of [a.phone, b.phone]) {
      await reviewer.locator('li.item', { hasText: masked(phone) }).getByRole('checkbox').check();
    }
    await reviewer.getByRole('button', { name: '批量通过所选' }).click();
    await expect(reviewer.getByText(/批量通过 2/)).toBeVisible();
    await reviewer.context().close();
  });

  test('a desktop reviewer decides from the keyboard', async ({ page, browser }, info) => {
    test.skip(info.project.name !== 'desktop-js', 'shortcuts are for a desk with JavaScript');
    const { phone } = await driverApplies(page, '龙子湖区总工会');
    const reviewer = await newPage(browser, info.project.use);
    await signIn(reviewer, 'e2e_lzh');
    await expect(reviewer.getByText(/快捷键/)).toBeVisible();
    const index = await reviewer.locator('li.item').evaluateAll((els, m) => els.findIndex((e) => (e.textContent || '').includes(m)), masked(phone));
    expect(index).toBeGreaterThanOrEqual(0);
    for (let i = 0; i <= index; i++) await reviewer.keyboard.press('j');
    await expect(reviewer.locator('li.item.focused')).toContainText(masked(phone));
    await reviewer.keyboard.press('a');
    await expect(reviewer.getByText(/已处理/)).toBeVisible();
    await expect(reviewer.locator('li.item', { hasText: masked(phone) })).toHaveCount(0);
    await reviewer.context().close();
  });

  test('a reviewer of another district cannot open it', async ({ page, browser, allowedConsole }, info) => {
    allowedConsole.push(/status of 404/);
    const { phone } = await driverApplies(page, '龙子湖区总工会');
    const own = await newPage(browser, info.project.use);
    await signIn(own, 'e2e_lzh');
    const id = await own.locator('li.item', { hasText: masked(phone) }).getAttribute('data-id');
    const other = await newPage(browser, info.project.use);
    other.on('console', () => {});
    await signIn(other, 'e2e_bs');
    await expect(other.locator('li.item', { hasText: masked(phone) })).toHaveCount(0);
    const res = await other.goto(`/admin/a/${id}`);
    expect(res?.status()).toBe(404);
    await expect(other.getByText('页面不存在')).toBeVisible();
    await own.context().close();
    await other.context().close();
  });
});
