import { Page } from '@playwright/test';
import { test, expect, CODE_GAP_MS, driverApplies, masked, messagesTo, newSignInCode, signIn, newPage, randomName, ADMIN_PASSWORD } from './fixtures';

/** A time `days` from now in China, as a datetime-local field takes it. */
function chinaTime(days: number, hour: number): string {
  const day = new Date(Date.now() + 8 * 3600_000 + days * 86_400_000).toISOString().slice(0, 10);
  return `${day}T${String(hour).padStart(2, '0')}:00`;
}

/** Signs a member in with the code sent by SMS (at most one code a minute per phone). */
async function memberSignsIn(page: Page, phone: string) {
  await page.goto('/me/login');
  await page.getByLabel('手机号').fill(phone);
  const before = messagesTo(phone).filter((m) => m.template === 'sign_in_code').length;
  await page.getByRole('button', { name: '获取验证码' }).click();
  await expect(page.getByText('验证码已发送')).toBeVisible();
  await page.getByLabel('验证码', { exact: true }).fill(await newSignInCode(phone, before));
  await page.getByRole('button', { name: '登录' }).click();
  await expect(page.getByRole('heading', { name: '我的', exact: true })).toBeVisible();
}

test.describe('events: a waiting list that moves up, and check-in at the door', () => {
  test.skip(!ADMIN_PASSWORD, 'the event specs need the admins made by scripts/test.sh');

  test('an event fills up, one cancels, the first waiting gets the place and the SMS; the ticket is checked in once', async ({ page, browser }, info) => {
    test.setTimeout(300_000);
    const tag = `${Date.now() % 1_000_000}${info.project.name.length}`;
    const title = `安全驾驶培训${tag}`;
    // Two drivers join into the 龙子湖区 pool; the county approves both.
    const first = await driverApplies(page, '龙子湖区总工会', randomName());
    const other = await newPage(browser, info.project.use);
    const second = await driverApplies(other, '龙子湖区总工会', randomName());
    const joinCodesAt = Date.now();
    const county = await newPage(browser, info.project.use);
    await signIn(county, 'e2e_lzh_mgr');
    for (const d of [first, second]) {
      await county.goto('/admin');
      await county.locator('li.item', { hasText: masked(d.phone) }).getByRole('button', { name: '通过' }).click();
      await expect(county.getByText(/已处理/)).toBeVisible();
    }

    // The county's manager puts a training course with one place out.
    await county.goto('/admin/events');
    await county.getByText('新建活动', { exact: true }).click();
    await county.locator('#kind').selectOption('training');
    await county.locator('#title').fill(title);
    await county.locator('#place').fill('龙子湖区职工服务中心');
    await county.locator('#starts_at').fill(chinaTime(10, 9));
    await county.locator('#ends_at').fill(chinaTime(10, 11));
    await county.locator('#signup_until').fill(chinaTime(9, 18));
    await county.locator('#capacity').fill('1');
    await county.locator('form[action="/admin/events"]').getByRole('button', { name: '保存' }).click();
    await expect(county.getByRole('heading', { name: title })).toBeVisible();
    const eventPath = new URL(county.url()).pathname.replace('/admin', '');

    // Both sign in (one code a minute per phone: the join codes went out a moment ago).
    await page.waitForTimeout(Math.max(0, joinCodesAt + CODE_GAP_MS - Date.now()));
    await memberSignsIn(page, first.phone);
    await memberSignsIn(other, second.phone);

    // The first takes the place from the list of trainings; the second joins the waiting list.
    await page.goto('/events?kind=training');
    await page.getByRole('link', { name: title }).click();
    await page.getByRole('button', { name: '我要报名' }).click();
    await expect(page.getByText('报名成功！')).toBeVisible();
    await other.goto(eventPath);
    await expect(other.getByText('剩余0个（共1个）')).toBeVisible();
    await other.getByRole('button', { name: '排队候补' }).click();
    await expect(other.getByText('您已进入候补名单')).toBeVisible();
    await expect(other.getByText('候补第1位')).toBeVisible();

    // The first cancels: the second moves up at once and gets the SMS.
    await page.getByRole('button', { name: '取消报名' }).click();
    await expect(page.getByText('已取消报名。')).toBeVisible();
    await expect.poll(() => messagesTo(second.phone).filter((m) => m.template === 'event_promoted').length, { timeout: 20_000 }).toBe(1);
    expect(messagesTo(first.phone).filter((m) => m.template === 'event_promoted')).toHaveLength(0);
    await other.goto(eventPath);
    await expect(other.locator('[data-my-state="confirmed"]')).toBeVisible();

    // The ticket: a QR, with its link written out; the door phone scans it.
    await other.getByRole('button', { name: '出示入场二维码' }).click();
    await expect(other.getByRole('img', { name: '入场二维码' })).toBeVisible();
    const link = await other.locator('[data-ticket-link]').getAttribute('data-ticket-link');
    expect(link).toMatch(/\/admin\/events\/ticket\/[A-Za-z0-9_-]{22}$/);
    const ticketPath = new URL(link!).pathname;

    await county.goto(`/admin${eventPath}`);
    await expect(county.locator('[data-figure="confirmed"]')).toHaveText('1');
    await county.getByRole('button', { name: '用本机为此活动签到' }).click();
    await expect(county.getByText('本机已选定为此活动签到。')).toBeVisible();
    await county.goto(ticketPath);
    await expect(county.getByText('入场券有效')).toBeVisible();
    await expect(county.locator('[data-name]')).toHaveText(/^陈\*\*$/);
    await expect(county.locator('body')).not.toContainText(second.phone.slice(7));
    await county.getByRole('button', { name: '签到', exact: true }).click();
    await expect(county.getByText('签到成功。')).toBeVisible();
    // Scanned again: already checked in, no button.
    await county.goto(ticketPath);
    await expect(county.getByText(/不能重复签到/)).toBeVisible();
    await expect(county.getByRole('button', { name: '签到', exact: true })).toHaveCount(0);
    await county.goto(`/admin${eventPath}`);
    await expect(county.locator('[data-figure="checked_in"]')).toHaveText('1');
    await expect(county.locator('[data-figure="rate"]')).toHaveText('100.0%');
    await other.goto(eventPath);
    await expect(other.getByText(/^已于.*签到$/)).toBeVisible();
    await county.context().close();
    await other.context().close();
  });
});
