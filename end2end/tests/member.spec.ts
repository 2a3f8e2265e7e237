import { test, expect, driverApplies, messagesTo, signIn, newPage, ADMIN_PASSWORD } from './fixtures';
import * as fs from 'fs';
import * as path from 'path';

const masked = (phone: string) => `${phone.slice(0, 3)}****${phone.slice(7)}`;

/** The newest sign-in code sent to `phone` after `before` messages. */
async function signInCode(phone: string, before: number): Promise<string> {
  await expect.poll(() => messagesTo(phone).filter((m) => m.template === 'sign_in_code').length, { timeout: 20_000 }).toBeGreaterThan(before);
  return (messagesTo(phone).filter((m) => m.template === 'sign_in_code').pop() as any).code;
}

test.describe('the member side', () => {
  test.skip(!ADMIN_PASSWORD, 'the member specs need the admins made by scripts/test.sh');

  test('a member signs in, shows the card, downloads the data and leaves', async ({ page, browser }, info) => {
    test.setTimeout(180_000);
    // A driver joins into the 龙子湖区 pool; the county approves.
    const { phone } = await driverApplies(page, '龙子湖区总工会');
    const county = await newPage(browser, info.project.use);
    await signIn(county, 'e2e_lzh_mgr');
    await county.locator('li.item', { hasText: masked(phone) }).getByRole('button', { name: '通过' }).click();
    await expect(county.getByText(/已处理/)).toBeVisible();
    await county.context().close();

    // Signing in: 我的 asks for a session, the code comes by SMS.
    await page.goto('/me');
    await expect(page.getByRole('heading', { name: '会员登录' })).toBeVisible();
    // One code a minute per phone: the join code went out just now.
    await page.waitForTimeout(61_000);
    await page.getByLabel('手机号').fill(phone);
    const before = messagesTo(phone).filter((m) => m.template === 'sign_in_code').length;
    await page.getByRole('button', { name: '获取验证码' }).click();
    await expect(page.getByText('验证码已发送')).toBeVisible();
    await page.getByLabel('验证码', { exact: true }).fill(await signInCode(phone, before));
    await page.getByRole('button', { name: '登录' }).click();
    await expect(page.getByRole('heading', { name: '我的' })).toBeVisible();
    await expect(page.getByText('陈**')).toBeVisible();

    // The card: one QR code on screen; another phone checks it.
    await page.getByRole('link', { name: '出示电子会员证' }).click();
    await expect(page.locator('.card-qr:visible svg')).toHaveCount(1);
    const check = await page.locator('.card-qr:visible').getAttribute('data-check');
    const merchant = await newPage(browser, info.project.use);
    await merchant.goto(check!);
    await expect(merchant.getByText('有效会员')).toBeVisible();
    await expect(merchant.getByText('陈**')).toBeVisible();
    await expect(merchant.locator('main')).not.toContainText(phone.slice(7));
    await expect(merchant.getByText('不是有效会员码：无法识别')).toHaveCount(0);
    await merchant.goto(check!.slice(0, -2) + (check!.endsWith('AA') ? 'AB' : 'AA'));
    await expect(merchant.getByText('不是有效会员码：无法识别')).toBeVisible();

    // My data: all of it, and the download.
    await page.goto('/me/data');
    await expect(page.getByText(phone, { exact: true })).toBeVisible();
    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: /下载我的信息/ }).click();
    const file = await (await download).path();
    const json = JSON.parse(fs.readFileSync(file!, 'utf8'));
    expect(json.phone).toBe(phone);
    expect(json.name).toBe('陈师傅');

    // Leaving: a confirmation step, then the data is gone, and the card is no member's.
    await page.getByRole('link', { name: '退出工会' }).click();
    await page.getByLabel(/请输入“退出”确认/).fill('退出');
    await page.getByRole('button', { name: '确认退出并删除我的信息' }).click();
    await expect(page.getByRole('heading', { name: '已退出工会' })).toBeVisible();
    await merchant.goto(check!);
    await expect(merchant.getByText(/已不是会员|已过期/)).toBeVisible();
    await merchant.context().close();
    await page.goto('/me');
    await expect(page.getByRole('heading', { name: '会员登录' })).toBeVisible();
    // The database files (SQLite, beside the SMS log) no longer hold the number.
    const dir = path.dirname(process.env.EJIA_SMS_LOG || '');
    for (const name of ['ejia.db', 'ejia.db-wal']) {
      const f = path.join(dir, name);
      if (process.env.EJIA_SMS_LOG && fs.existsSync(f)) expect(fs.readFileSync(f).includes(Buffer.from(phone)), name).toBe(false);
    }
  });
});
