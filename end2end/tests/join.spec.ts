import AxeBuilder from '@axe-core/playwright';
import { test, expect, randomId, randomPhone, withBadCheck, codeFor, messagesTo, driverApplies } from './fixtures';

const hydrated = async (page, js: boolean) => {
  if (js) await expect(page.locator('html')).toHaveAttribute('data-ejia-ready', '1');
};

test.describe('a driver joins from a phone', () => {
  test('through a channel QR code, reading the code from the SMS', async ({ page }, info) => {
    const js = info.project.use.javaScriptEnabled !== false;
    const id = randomId();
    const phone = randomPhone();
    await page.goto('/j/LY2608');
    await hydrated(page, js);
    await expect(page.getByText('蚌埠市力源港务集团公司工会')).toBeVisible();
    await expect(page.getByText('货车司机')).toBeVisible();
    await page.evaluate(() => ((window as any).__samePage = true)).catch(() => {});

    await page.getByLabel('姓名').fill('张三丰');
    await page.getByLabel('身份证号').fill(id);
    await page.getByLabel('手机号').fill(phone);
    await page.getByRole('button', { name: '获取验证码' }).click();
    await expect(page.getByText('验证码已发送')).toBeVisible();
    if (js) {
      await expect(page.getByRole('button', { name: /秒后重发/ })).toBeDisabled();
      expect(await page.evaluate(() => (window as any).__samePage)).toBe(true); // no reload
      const year = id.slice(6, 10);
      await expect(page.getByText(new RegExp(`出生日期与性别：${year}-`))).toBeVisible();
    }
    // The typed input survives the round trip without JavaScript too.
    await expect(page.getByLabel('身份证号')).toHaveValue(id);
    await expect(page.getByLabel('姓名')).toHaveValue('张三丰');

    await page.getByLabel('验证码', { exact: true }).fill(await codeFor(phone));
    await page.getByLabel('车牌号').fill('皖C12345');
    await page.getByRole('checkbox').check();
    await page.getByRole('button', { name: '提交申请' }).click();

    await expect(page).toHaveURL(/\/s\/[A-Za-z0-9_-]{22}$/);
    await expect(page.getByText('待审核').first()).toBeVisible();
    await expect(page.getByText(`${id.slice(0, 2)}**************${id.slice(16)}`)).toBeVisible();
    await expect(page.getByText(`${phone.slice(0, 3)}****${phone.slice(7)}`)).toBeVisible();
    await expect(page.getByText('张**')).toBeVisible();
    await expect(page.locator('body')).not.toContainText(id);
    await expect.poll(() => messagesTo(phone).some((m) => m.template === 'received' && m.text.includes('/s/'))).toBe(true);
  });

  test('with no fixed workplace, into a county turnover pool', async ({ page }) => {
    await driverApplies(page, '蚌山区总工会');
    await expect(page.getByText('蚌山区总工会（周转池）').first()).toBeVisible();
  });

  test('暂无固定单位 tapped while the page is still loading keeps the county list', async ({ page }, info) => {
    test.skip(info.project.use.javaScriptEnabled === false, 'about the page waking up');
    // The WASM is held back (a slow line): the driver chooses before the page wakes up.
    let release = () => {};
    const held = new Promise<void>((r) => { release = r; });
    await page.route('**/pkg/*.wasm', async (route) => { await held; await route.continue(); });
    await page.goto('/join');
    await page.getByLabel('暂无固定单位').check();
    release();
    await hydrated(page, true);
    await expect(page.getByLabel('所在县区')).toBeVisible();
    await page.getByLabel('所在县区').selectOption({ label: '蚌山区总工会' });
  });

  test('searches a workplace and picks it', async ({ page }, info) => {
    const js = info.project.use.javaScriptEnabled !== false;
    await page.goto('/join');
    await hydrated(page, js);
    await page.getByLabel('工作单位').fill('五源');
    if (!js) await page.getByRole('button', { name: '搜索单位' }).click();
    await page.getByLabel(/徽商五源物流港工会/).check();
    await expect(page.getByLabel(/徽商五源物流港工会/)).toBeChecked();
  });

  test('an invalid ID number and a wrong code are explained and the input kept', async ({ page }, info) => {
    const js = info.project.use.javaScriptEnabled !== false;
    const id = randomId();
    const phone = randomPhone();
    await page.goto('/j/LY2608');
    await hydrated(page, js);
    await page.getByLabel('姓名').fill('王五');
    await page.getByLabel('身份证号').fill(withBadCheck(id));
    await page.getByLabel('手机号').fill(phone);
    if (js) {
      await page.getByLabel('手机号').focus(); // leaving the ID field checks it at once
      await expect(page.getByText('身份证号校验位不对，请逐位核对')).toBeVisible();
    }
    await page.getByRole('checkbox').check();
    await page.getByRole('button', { name: '提交申请' }).click();
    await expect(page.getByText('身份证号校验位不对，请逐位核对')).toBeVisible();
    await expect(page.getByLabel('身份证号')).toHaveValue(withBadCheck(id));
    await expect(page.getByLabel('身份证号')).toHaveAttribute('aria-invalid', 'true');

    await page.getByLabel('身份证号').fill(id);
    await page.getByRole('button', { name: '获取验证码' }).click();
    await expect(page.getByText('验证码已发送')).toBeVisible();
    const code = await codeFor(phone);
    const wrong = code === '000000' ? '111111' : '000000';
    await page.getByLabel('验证码', { exact: true }).fill(wrong);
    if (!js) await page.getByRole('checkbox').check();
    await page.getByRole('button', { name: '提交申请' }).click();
    await expect(page.getByText('验证码不正确')).toBeVisible();
    await expect(page.getByLabel('身份证号')).toHaveValue(id);
    await expect(page.getByLabel('姓名')).toHaveValue('王五');
    await expect(page.getByLabel('手机号')).toHaveValue(phone);
  });

  test('the draft survives a reload in the same tab', async ({ page }, info) => {
    test.skip(info.project.use.javaScriptEnabled === false, 'drafts need JavaScript');
    const id = randomId();
    await page.goto('/join');
    await hydrated(page, true);
    await page.getByLabel('姓名').fill('赵六');
    await page.getByLabel('身份证号').fill(id);
    await page.reload();
    await hydrated(page, true);
    await expect(page.getByLabel('姓名')).toHaveValue('赵六');
    await expect(page.getByLabel('身份证号')).toHaveValue(id);
    const persistent = await page.evaluate(() => JSON.stringify(localStorage));
    expect(persistent).not.toContain(id);
  });

  test('the join page is accessible and fits 320 px', async ({ page }, info) => {
    const js = info.project.use.javaScriptEnabled !== false;
    await page.setViewportSize({ width: 320, height: 640 });
    await page.goto('/join');
    await hydrated(page, js);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(320);
    const small = await page.evaluate(() =>
      [...document.querySelectorAll('button, input[type=checkbox], input[type=radio], select, a.button')]
        .filter((e) => (e as HTMLElement).offsetParent !== null && !e.classList.contains('sr-only'))
        .map((e) => { const r = (e.closest('label.choice') || e).getBoundingClientRect(); return { h: r.height, t: e.outerHTML.slice(0, 60) }; })
        .filter((x) => x.h < 44 && !x.t.includes('type="checkbox"')));
    expect(small, 'tap targets are at least 44 px high').toEqual([]);
    if (js) {
      const results = await new AxeBuilder({ page }).analyze();
      expect(results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(' ')}`)).toEqual([]);
    }
  });
});

test('the status page and the poster render', async ({ page, allowedConsole }) => {
  allowedConsole.push(/status of 404/);
  await page.goto('/j/LY2608/poster');
  await expect(page.getByRole('heading', { name: '扫码加入工会' })).toBeVisible();
  await expect(page.locator('.qr svg')).toBeVisible();
  await page.goto('/s/AAAAAAAAAAAAAAAAAAAAAA').catch(() => {});
  await expect(page.getByText('链接无效或已过期。')).toBeVisible();
});

test('every page fits a 320 px phone', async ({ page }) => {
  await page.setViewportSize({ width: 320, height: 640 });
  for (const path of ['/', '/join', '/j/LY2608', '/j/LY2608/poster', '/privacy', '/admin/login', '/hall', '/hall/medical_aid', '/events', '/library',
    '/lang/en?next=/join']) {
    await page.goto(path);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width, `${path} is ${width} px wide`).toBeLessThanOrEqual(320);
  }
  await page.goto('/lang/zh?next=/');
});

test('English is selectable', async ({ page }) => {
  await page.goto('/join');
  await page.getByRole('link', { name: 'English' }).click();
  await expect(page.getByRole('heading', { name: 'Join the union' })).toBeVisible();
  await expect(page.getByLabel('ID number')).toBeVisible();
  await page.getByRole('link', { name: '中文' }).click();
  await expect(page.getByRole('heading', { name: '申请加入工会' })).toBeVisible();
});
