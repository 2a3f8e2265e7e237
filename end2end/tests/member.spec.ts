import { Page } from '@playwright/test';
import { test, expect, CODE_GAP_MS, driverApplies, masked, messagesTo, newSignInCode as signInCode, signIn, newPage, randomName, ADMIN_PASSWORD } from './fixtures';
import * as fs from 'fs';
import * as path from 'path';

/** A date `days` from today in China, as a date field takes it. */
function chinaDate(days: number): string {
  return new Date(Date.now() + 8 * 3600_000 + days * 86_400_000).toISOString().slice(0, 10);
}

/** The city admin registers a petrol station, a till account for it and a coupon redeemable there. */
async function cityAdminSetsUpACoupon(city: Page, tag: string): Promise<{ staff: string, coupon: string }> {
  const merchant = `城东加油站${tag}`, staff = `till_${tag}`, coupon = `加油立减券${tag}`;
  await signIn(city, 'e2e_city');
  await city.goto('/admin/benefits');
  await city.getByText('新增商户', { exact: true }).click();
  await city.locator('#m-name').fill(merchant);
  await city.getByLabel('场景').selectOption({ label: '加油' });
  await city.locator('form[action="/admin/benefits/merchants"]').getByRole('button', { name: '保存' }).click();
  await expect(city.getByRole('list', { name: '合作商户' })).toContainText(merchant);
  await city.getByText('新增店员账号', { exact: true }).click();
  await city.getByLabel('商户', { exact: true }).selectOption({ label: merchant });
  await city.getByLabel('用户名').fill(staff);
  await city.getByLabel('密码').fill(ADMIN_PASSWORD);
  await city.locator('form[action="/admin/benefits/staff"]').getByRole('button', { name: '保存' }).click();
  await expect(city.getByRole('list', { name: '合作商户' }).locator('li', { hasText: merchant })).toContainText('店员 1');
  await city.getByText('新建活动', { exact: true }).click();
  await city.getByLabel('活动名称').fill(coupon);
  await city.getByLabel(merchant).check();
  await city.getByLabel('发放总量').fill('10');
  await city.getByLabel('每人限领').fill('1');
  await city.getByLabel('领取开始').fill(chinaDate(-1));
  await city.getByLabel('领取截止').fill(chinaDate(30));
  await city.getByLabel('核销截止').fill(chinaDate(60));
  await city.locator('form[action="/admin/benefits/campaigns"]').getByRole('button', { name: '保存' }).click();
  await expect(city.getByRole('heading', { name: coupon })).toBeVisible();
  return { staff, coupon };
}

test.describe('a member in the pocket', () => {
  test.skip(!ADMIN_PASSWORD, 'the member specs need the admins made by scripts/test.sh');

  test('joined, approved, signed in: card checked elsewhere, coupon redeemed once at a till, then leaving erases the data', async ({ page, browser }, info) => {
    test.setTimeout(240_000);
    const tag = `${Date.now() % 1_000_000}${info.project.name.length}`;
    // A driver joins into the 龙子湖区 pool; the county approves.
    const name = randomName();
    const { phone } = await driverApplies(page, '龙子湖区总工会', name);
    const joinCodeAt = Date.now();
    const county = await newPage(browser, info.project.use);
    await signIn(county, 'e2e_lzh_mgr');
    await county.locator('li.item', { hasText: masked(phone) }).getByRole('button', { name: '通过' }).click();
    await expect(county.getByText(/已处理/)).toBeVisible();
    await county.context().close();

    // Meanwhile the city admin puts a coupon out at a petrol station.
    const city = await newPage(browser, info.project.use);
    const { staff, coupon } = await cityAdminSetsUpACoupon(city, tag);
    await city.context().close();

    // Signing in: 我的 asks for a session, the code comes by SMS (one code a minute per phone:
    // the join code went out a moment ago).
    await page.goto('/me');
    await expect(page.getByRole('heading', { name: '会员登录' })).toBeVisible();
    await page.waitForTimeout(Math.max(0, joinCodeAt + CODE_GAP_MS - Date.now()));
    await page.getByLabel('手机号').fill(phone);
    const before = messagesTo(phone).filter((m) => m.template === 'sign_in_code').length;
    await page.getByRole('button', { name: '获取验证码' }).click();
    await expect(page.getByText('验证码已发送')).toBeVisible();
    await page.getByLabel('验证码', { exact: true }).fill(await signInCode(phone, before));
    await page.getByRole('button', { name: '登录' }).click();
    await expect(page.getByRole('heading', { name: '我的', exact: true })).toBeVisible();
    await expect(page.getByText('陈**').first()).toBeVisible();

    // The card: one QR code on screen; another phone checks it.
    await page.getByRole('link', { name: '出示电子会员证' }).click();
    await expect(page.locator('.card-qr:visible svg')).toHaveCount(1);
    const check = await page.locator('.card-qr:visible').getAttribute('data-check');
    const gate = await newPage(browser, info.project.use);
    await gate.goto(check!);
    await expect(gate.getByText('有效会员')).toBeVisible();
    await expect(gate.getByText('陈**')).toBeVisible();
    await expect(gate.getByText('龙子湖区总工会')).toBeVisible();
    await expect(gate.locator('body')).not.toContainText(phone.slice(7));
    await gate.goto(check!.slice(0, -2) + (check!.endsWith('AA') ? 'AB' : 'AA'));
    await expect(gate.getByText('不是有效会员码：无法识别')).toBeVisible();

    // A coupon: claimed from 我的福利, shown at the till as 8 digits.
    await page.goto('/me/benefits');
    await page.getByRole('button', { name: `领取 ${coupon}` }).click();
    await expect(page.getByText('领取成功')).toBeVisible();
    await page.getByRole('list', { name: '我的券' }).locator('li', { hasText: coupon }).getByRole('link', { name: '使用' }).click();
    await page.getByRole('button', { name: '出示核销码' }).click();
    await expect(page.getByRole('img', { name: '核销二维码' })).toBeVisible();
    const digits = await page.locator('[data-digits]').getAttribute('data-digits');
    expect(digits).toMatch(/^\d{8}$/);

    // The till, on another phone: types the digits, sees only the masked name, confirms.
    const till = await newPage(browser, info.project.use);
    await till.goto('/admin/login');
    await till.getByLabel('用户名').fill(staff);
    await till.getByLabel('密码').fill(ADMIN_PASSWORD);
    await till.getByRole('button', { name: '登录' }).click();
    await expect(till).toHaveURL(/\/merchant$/);
    await till.getByRole('link', { name: '核销' }).first().click();
    await till.getByLabel('核销码（8位数字）').fill(digits!);
    await till.getByRole('button', { name: '查询' }).click();
    await expect(till.getByText(coupon)).toBeVisible();
    await expect(till.locator('[data-name]')).toHaveText('陈**');
    await expect(till.locator('body')).not.toContainText(phone.slice(7));
    await till.getByRole('button', { name: '确认核销' }).click();
    await expect(till.getByText('核销成功。')).toBeVisible();
    // The same code again: refused.
    await till.goto('/merchant/redeem');
    await till.getByLabel('核销码（8位数字）').fill(digits!);
    await till.getByRole('button', { name: '查询' }).click();
    await expect(till.getByText(/核销码无效/)).toBeVisible();
    await expect(till.getByRole('button', { name: '确认核销' })).toHaveCount(0);
    await till.context().close();
    await page.goto('/me/benefits');
    await expect(page.getByRole('list', { name: '我的券' }).locator('li', { hasText: coupon })).toContainText('已核销');

    // My data: all of it, and the download.
    await page.goto('/me/data');
    await expect(page.getByText(phone, { exact: true })).toBeVisible();
    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: /下载我的信息/ }).click();
    const file = await (await download).path();
    const json = JSON.parse(fs.readFileSync(file!, 'utf8'));
    expect(json.phone).toBe(phone);
    expect(json.name).toBe(name);

    // Leaving: a confirmation step, then the data is gone, and the card is no member's.
    await page.getByRole('link', { name: '退出工会' }).click();
    await page.getByLabel(/请输入“退出”确认/).fill('退出');
    await page.getByRole('button', { name: '确认退出并删除我的信息' }).click();
    await expect(page.getByRole('heading', { name: '已退出工会' })).toBeVisible();
    await gate.goto(check!);
    await expect(gate.getByText(/已不是会员|已过期/)).toBeVisible();
    await gate.context().close();
    await page.goto('/me');
    await expect(page.getByRole('heading', { name: '会员登录' })).toBeVisible();
    // The database files (SQLite, in the data directory beside the SMS log) no longer hold the
    // number or the name.
    const dir = path.dirname(process.env.EJIA_SMS_LOG || '');
    expect(process.env.EJIA_SMS_LOG, 'run by scripts/test.sh, which sets the data directory').toBeTruthy();
    let checked = 0;
    for (const name of ['ejia.db', 'ejia.db-wal']) {
      const f = path.join(dir, name);
      if (!fs.existsSync(f)) continue;
      const bytes = fs.readFileSync(f);
      expect(bytes.includes(Buffer.from(phone)), `${name} holds the phone`).toBe(false);
      expect(bytes.includes(Buffer.from(name)), `${name} holds the name`).toBe(false);
      checked++;
    }
    expect(checked).toBeGreaterThan(0);
  });
});
