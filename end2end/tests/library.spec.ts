import { Page } from '@playwright/test';
import { test, expect, CODE_GAP_MS, driverApplies, masked, messagesTo, newSignInCode, signIn, newPage, randomName, ADMIN_PASSWORD } from './fixtures';

/** Opens a library's counter from the list of the admin's libraries. */
async function openCounter(admin: Page, library: string) {
  await admin.goto('/admin/library');
  await admin.getByRole('link', { name: library, exact: true }).click();
  await expect(admin.getByRole('heading', { name: library, exact: true })).toBeVisible();
}

test.describe('the worker-library alliance', () => {
  test.skip(!ADMIN_PASSWORD, 'the library spec needs the admins made by scripts/test.sh');

  test('a book borrowed at one library is returned at another; the member sees the loan, then sees it returned', async ({ page, browser }, info) => {
    test.setTimeout(240_000);
    const tag = `${Date.now() % 1_000_000}${info.project.name.length}`;
    const barcode = `E2E-${tag}`;
    // A driver joins into the 龙子湖区 pool; the county approves.
    const { phone } = await driverApplies(page, '龙子湖区总工会', randomName());
    const joinCodeAt = Date.now();
    const lzh = await newPage(browser, info.project.use);
    await signIn(lzh, 'e2e_lzh_mgr');
    await lzh.locator('li.item', { hasText: masked(phone) }).getByRole('button', { name: '通过' }).click();
    await expect(lzh.getByText(/已处理/)).toBeVisible();

    // The 龙子湖区 library puts a new copy of a catalogued title on its shelf.
    await openCounter(lzh, '龙子湖区职工书屋');
    await lzh.locator('summary', { hasText: '新书入库' }).click();
    await lzh.getByLabel('ISBN').fill('978-7-5302-1200-4');
    await lzh.getByLabel('书名（新书目必填）').fill('平凡的世界');
    await lzh.getByLabel('作者（新书目必填）').fill('路遥');
    await lzh.getByLabel('本册条码').fill(barcode);
    await lzh.locator('form[action$="/copies"]').getByRole('button', { name: '新书入库' }).click();
    await expect(lzh.getByText(`已入库《平凡的世界》，条码 ${barcode}。`)).toBeVisible();

    // The member signs in (one code a minute per phone: the join code went out a moment ago)
    // and shows the e-member card at the counter.
    await page.goto('/library');
    await page.getByRole('link', { name: '登录后查看我的借阅' }).click();
    await expect(page.getByRole('heading', { name: '会员登录' })).toBeVisible();
    await page.waitForTimeout(Math.max(0, joinCodeAt + CODE_GAP_MS - Date.now()));
    await page.getByLabel('手机号').fill(phone);
    const before = messagesTo(phone).filter((m) => m.template === 'sign_in_code').length;
    await page.getByRole('button', { name: '获取验证码' }).click();
    await expect(page.getByText('验证码已发送')).toBeVisible();
    await page.getByLabel('验证码', { exact: true }).fill(await newSignInCode(phone, before));
    await page.getByRole('button', { name: '登录' }).click();
    // Back where the member signed in from.
    await expect(page).toHaveURL(/\/library$/);
    await expect(page.getByRole('heading', { name: '职工书屋', exact: true })).toBeVisible();
    await expect(page.getByText('暂无借阅记录。')).toBeVisible();
    await page.goto('/me/card');
    const check = await page.locator('.card-qr:visible').getAttribute('data-check');
    expect(check).toMatch(/^\/v\//);

    // Lent at 龙子湖区: the librarian scans the card (its address) and the book's barcode.
    await lzh.getByLabel('会员号或电子会员证码').fill(check!);
    await lzh.getByLabel('图书条码', { exact: true }).fill(barcode);
    await lzh.getByRole('button', { name: '借书' }).click();
    await expect(lzh.getByText(new RegExp(`已借出《平凡的世界》（条码 ${barcode}），应还日期 \\d{4}-\\d{2}-\\d{2}。`))).toBeVisible();
    await expect(lzh.getByRole('list', { name: '本书屋借出未还' })).toContainText(barcode);
    await expect(lzh.locator('body')).not.toContainText(phone.slice(7));

    // The member sees the loan with its due date.
    await page.goto('/library');
    const loan = page.getByRole('list', { name: '我的借阅' }).locator('li', { hasText: '平凡的世界' });
    await expect(loan).toContainText('借阅中');
    await expect(loan).toContainText('借阅书屋 龙子湖区职工书屋');
    await expect(loan.locator('.due')).toHaveText(/应还日期 \d{4}-\d{2}-\d{2}/);

    // Returned at 蚌山区 by its own admin, in another browser.
    const bs = await newPage(browser, info.project.use);
    await signIn(bs, 'e2e_bs');
    await openCounter(bs, '蚌山区职工书屋');
    await bs.getByLabel('归还图书条码').fill(barcode);
    await bs.getByRole('button', { name: '还书' }).click();
    await expect(bs.getByText(`已归还《平凡的世界》（条码 ${barcode}，借自龙子湖区职工书屋），现由本书屋收藏。`)).toBeVisible();
    // 龙子湖区's admin does not reach 蚌山区's counter.
    const bsCounter = bs.url();
    await lzh.goto(bsCounter);
    await expect(lzh.getByRole('heading', { name: '页面不存在' })).toBeVisible();
    await bs.context().close();
    await lzh.context().close();

    // The member sees it returned, at 蚌山区.
    await page.goto('/library');
    await expect(loan).toContainText('已归还');
    await expect(loan).toContainText('归还于蚌山区职工书屋');
  });
});
