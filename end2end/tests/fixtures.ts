import { test as base, expect, Browser, Page } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

/** Run by scripts/test.sh (E2E_DATA_DIR), each worker tests a server of its own: port 3000 + its
 * parallel index, its database and SMS log in E2E_DATA_DIR/<index>/. */
const ownServer = !!process.env.E2E_DATA_DIR && !process.env.EJIA_BASE_URL;
const slot = Number(process.env.TEST_PARALLEL_INDEX || 0);
const serverURL = ownServer ? `http://127.0.0.1:${3000 + slot}` : undefined;
if (ownServer) process.env.EJIA_SMS_LOG = path.join(process.env.E2E_DATA_DIR!, String(slot), 'sms.jsonl');

/** Fails the test on any console error or uncaught page error: it catches broken hydration. */
/// A test that expects an error status (a 404 page) lists the console lines it expects here.
export const test = base.extend<{ allowedConsole: RegExp[] }>({
  baseURL: async ({ baseURL }, use) => { await use(serverURL ?? baseURL); },
  allowedConsole: [async ({ page }, use) => {
    const problems: string[] = [];
    const allowed: RegExp[] = [];
    page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console: ${msg.text()}`); });
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    await use(allowed);
    expect(problems.filter((p) => !allowed.some((re) => re.test(p))), 'no console or page errors').toEqual([]);
  }, { auto: true }],
});
export { expect };

const W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const rand = (n: number) => Math.floor(Math.random() * n);

/** A fresh valid ID number (GB 11643) of an adult, different on every call. */
export function randomId(): string {
  const y = 1960 + rand(40), m = 1 + rand(12), d = 1 + rand(28);
  const body = `340302${y}${String(m).padStart(2, '0')}${String(d).padStart(2, '0')}${String(rand(1000)).padStart(3, '0')}`;
  const sum = body.split('').reduce((s, c, i) => s + Number(c) * W[i], 0);
  return body + '10X98765432'[sum % 11];
}

export function randomPhone(): string {
  return `139${String(rand(1e8)).padStart(8, '0')}`;
}

/** The same number with its check character changed. */
export function withBadCheck(id: string): string {
  const last = id[17] === '0' ? '1' : '0';
  return id.slice(0, 17) + last;
}

function smsLog(): string {
  return process.env.EJIA_SMS_LOG || path.join(__dirname, '..', '..', 'data', 'sms.jsonl');
}

/** Reads the newest code sent to `phone` from the log SMS provider's file. */
export async function codeFor(phone: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    if (fs.existsSync(smsLog())) {
      const lines = fs.readFileSync(smsLog(), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
      const hit = lines.filter((m) => m.to === phone && m.code).pop();
      if (hit) return hit.code;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no code for ${phone} in ${smsLog()}`);
}

export function messagesTo(phone: string): { text: string, template: string }[] {
  if (!fs.existsSync(smsLog())) return [];
  return fs.readFileSync(smsLog(), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((m) => m.to === phone);
}


/** A name no other test uses: 陈 and two characters drawn at random. */
export function randomName(): string {
  const pool = '一二三四五六七八九十甲乙丙丁戊己庚辛壬癸春夏秋冬东南西北';
  return '陈' + pool[rand(pool.length)] + pool[rand(pool.length)];
}

/** A driver applies with no fixed workplace, into `county`'s turnover pool; returns the phone
 * and the status page's address. */
export async function driverApplies(page: Page, county: string, name = '陈师傅'): Promise<{ phone: string, status: string }> {
  const phone = randomPhone();
  await page.goto('/join');
  await page.getByLabel('姓名').fill(name);
  await page.getByLabel('身份证号').fill(randomId());
  await page.getByLabel('手机号').fill(phone);
  await page.getByRole('button', { name: '获取验证码' }).click();
  await expect(page.getByText('验证码已发送')).toBeVisible();
  await page.getByLabel('验证码', { exact: true }).fill(await codeFor(phone));
  await page.getByLabel('暂无固定单位').check();
  await page.getByLabel('所在县区').selectOption({ label: county });
  await page.getByRole('checkbox', { name: /个人信息/ }).check();
  await page.getByRole('button', { name: '提交申请' }).click();
  await expect(page).toHaveURL(/\/s\//);
  return { phone, status: page.url() };
}

/** The test admins' password (scripts/test.sh makes the admins); empty when run without them. */
export const ADMIN_PASSWORD = process.env.E2E_ADMIN_PASSWORD || '';

/** Signs in through the login page; an admin lands on the review queue. */
export async function signIn(page: Page, username: string) {
  await page.goto('/admin');
  await expect(page.getByRole('heading', { name: '管理员登录' })).toBeVisible();
  await page.getByLabel('用户名').fill(username);
  await page.getByLabel('密码').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: '登录' }).click();
  await expect(page.getByRole('heading', { name: /审核队列/ })).toBeVisible();
}

/** A page in a browser context of its own (another person on another phone). */
export async function newPage(browser: Browser, use: any): Promise<Page> {
  const context = await browser.newContext({ ...use, baseURL: serverURL ?? use.baseURL });
  return context.newPage();
}

/** One code a minute per phone by default; the test script raises the server's limit and sets
 * this to 0 so the suite does not spend a minute a member waiting. */
export const CODE_GAP_MS = Number(process.env.E2E_CODE_GAP_MS ?? '61000');

export const masked = (phone: string) => `${phone.slice(0, 3)}****${phone.slice(7)}`;

/** The newest sign-in code sent to `phone` after `before` messages. */
export async function newSignInCode(phone: string, before: number): Promise<string> {
  await expect.poll(() => messagesTo(phone).filter((m) => m.template === 'sign_in_code').length, { timeout: 20_000 }).toBeGreaterThan(before);
  return (messagesTo(phone).filter((m) => m.template === 'sign_in_code').pop() as any).code;
}

/** A driver joins into the 龙子湖区 pool and the county's manager approves; returns the phone
 * and when the join code went out (one code a minute per phone). */
export async function approvedDriver(page: Page, browser: Browser, use: any): Promise<{ phone: string, codeAt: number }> {
  const { phone } = await driverApplies(page, '龙子湖区总工会', randomName());
  const codeAt = Date.now();
  const county = await newPage(browser, use);
  await signIn(county, 'e2e_lzh_mgr');
  await county.locator('li.item', { hasText: masked(phone) }).getByRole('button', { name: '通过' }).click();
  await expect(county.getByText(/已处理/)).toBeVisible();
  await county.context().close();
  return { phone, codeAt };
}

/** Opening a member page asks for a session; the code comes by SMS; the member is back on
 * `path` afterwards. */
export async function memberSignsInAt(page: Page, path: string, phone: string, codeAt: number) {
  await page.goto(path);
  await expect(page.getByRole('heading', { name: '会员登录' })).toBeVisible();
  await page.waitForTimeout(Math.max(0, codeAt + CODE_GAP_MS - Date.now()));
  await page.getByLabel('手机号').fill(phone);
  const before = messagesTo(phone).filter((m) => m.template === 'sign_in_code').length;
  await page.getByRole('button', { name: '获取验证码' }).click();
  await expect(page.getByText('验证码已发送')).toBeVisible();
  await page.getByLabel('验证码', { exact: true }).fill(await newSignInCode(phone, before));
  await page.getByRole('button', { name: '登录' }).click();
  await expect(page).toHaveURL(new RegExp(path.replace(/[?]/g, '\\?') + '$'));
}
