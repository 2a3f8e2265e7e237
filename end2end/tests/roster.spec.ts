import * as fs from 'fs';
import { test, expect, randomId, randomPhone, withBadCheck, signIn, ADMIN_PASSWORD } from './fixtures';

/** A roster in the template's columns: five good rows and three bad ones at file rows 3, 5, 7. */
function rosterWithThreeBad(): string {
  const ids = [randomId(), randomId(), randomId(), randomId(), randomId(), randomId()];
  return [
    '姓名,身份证号,手机号,入会日期(可选),车牌号(可选)',
    `会员甲,${ids[0]},${randomPhone()},2024-05-01,`,
    `错号码,${withBadCheck(ids[5])},${randomPhone()},,`,
    `会员乙,${ids[1]},${randomPhone()},,`,
    `短手机,${ids[2]},1390000,,`,
    `会员丙,${ids[3]},${randomPhone()},,`,
    `重复人,${ids[0]},${randomPhone()},,`,
    `会员丁,${ids[4]},${randomPhone()},,皖C12345`,
    `会员戊,${randomId()},${randomPhone()},,`,
  ].join('\r\n') + '\r\n';
}

test.describe('rosters out and in', () => {
  test.skip(!ADMIN_PASSWORD, 'the roster specs need the admins made by scripts/test.sh');

  test('an enterprise union imports its roster; exactly the three bad rows are reported', async ({ page }) => {
    await signIn(page, 'e2e_ly');
    await page.goto('/admin/import');
    await expect(page.getByRole('heading', { name: '导入会员' })).toBeVisible();
    await page.getByLabel(/名册文件/).setInputFiles({ name: 'roster.csv', mimeType: 'text/csv', buffer: Buffer.from(rosterWithThreeBad(), 'utf8') });
    await page.getByRole('button', { name: '上传并检查' }).click();
    await expect(page).toHaveURL(/\/admin\/import\/\d+$/);
    await expect(page.getByText('共 8 行：可导入 5 行，有问题 3 行')).toBeVisible();
    const rows = page.locator('tr.bad-row');
    await expect(rows).toHaveCount(3);
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-row')))).toEqual(['3', '5', '7']);
    await expect(rows.nth(0)).toContainText('校验位');
    await expect(rows.nth(1)).toContainText('11位');
    await expect(rows.nth(2)).toContainText('与第2行身份证号重复');
    await page.getByRole('button', { name: '导入 5' }).click();
    await expect(page.getByText('已导入 5 人')).toBeVisible();
  });

  test('an export of the members list downloads and opens', async ({ page }) => {
    await signIn(page, 'e2e_city');
    await page.goto('/admin/members');
    await expect(page.getByRole('heading', { name: /会员名册/ })).toBeVisible();
    await page.locator('summary', { hasText: '导出' }).click();
    const form = page.locator('form.export-form');
    await form.getByLabel('文件格式').selectOption('xlsx');
    await form.getByRole('button', { name: '导出' }).click();
    await expect(page).toHaveURL(/\/admin\/exports\/\d+\?t=/);
    await expect(page.locator('progress')).toBeAttached();
    // The page refreshes itself until the file is written.
    const link = page.getByRole('link', { name: '下载' });
    await expect(link).toBeVisible({ timeout: 30_000 });
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toMatch(/^members-\d{12}\.xlsx$/);
    const path = await download.path();
    const bytes = fs.readFileSync(path);
    expect(bytes.length).toBeGreaterThan(1000);
    expect(bytes.subarray(0, 2).toString('latin1')).toBe('PK');
  });

  test('the review queue exports its applications as csv', async ({ page }) => {
    await signIn(page, 'e2e_city');
    await page.locator('summary', { hasText: '导出' }).click();
    const form = page.locator('form.export-form');
    await form.getByLabel('文件格式').selectOption('csv');
    await form.getByRole('button', { name: '导出' }).click();
    const link = page.getByRole('link', { name: '下载' });
    await expect(link).toBeVisible({ timeout: 30_000 });
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toMatch(/^applications-\d{12}\.csv$/);
    const text = fs.readFileSync(await download.path(), 'utf8');
    expect(text.replace(/^\uFEFF/, '').split('\n')[0]).toContain('申请编号,姓名,身份证号,手机号');
  });
});
