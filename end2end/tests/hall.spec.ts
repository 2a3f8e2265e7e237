import { test, expect, approvedDriver, memberSignsInAt, messagesTo, signIn, newPage, ADMIN_PASSWORD } from './fixtures';

/** A real 1×1 PNG: the server judges a file by its content. */
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000' + '1f15c4890000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082', 'hex');

const progress = (phone: string) => messagesTo(phone).filter((m) => m.template === 'service_progress').map((m) => m.text);

test.describe('the service hall', () => {
  test.skip(!ADMIN_PASSWORD, 'the hall spec needs the admins made by scripts/test.sh');

  test('the city admin adds a service a member uses at once; medical aid with a photo goes through every step, each texted', async ({ page, browser }, info) => {
    test.setTimeout(240_000);
    const tag = `${Date.now() % 1_000_000}${info.project.name.length}`;
    const { phone, codeAt } = await approvedDriver(page, browser, info.project.use);

    // Meanwhile the city admin adds a service from the browser: no release.
    const city = await newPage(browser, info.project.use);
    await signIn(city, 'e2e_city');
    await city.goto('/admin/services');
    await city.getByRole('link', { name: '新增服务' }).click();
    await city.getByLabel('模块').selectOption({ label: '文体活动' });
    await city.getByLabel('服务代码').fill(`cool_${tag}`);
    await city.getByLabel('服务名称').fill(`夏送清凉${tag}`);
    await city.getByLabel('简介').fill('高温季节为一线司机送清凉用品');
    await city.getByLabel('承诺时限（工作日）').fill('3');
    await city.locator('#flabel-0').fill('收货地址');
    await city.locator('#fkind-0').selectOption('text');
    await city.locator('#frequired-0').selectOption('1');
    await city.locator('#flabel-1').fill('份数');
    await city.locator('#fkind-1').selectOption('choice');
    await city.locator('#frequired-1').selectOption('1');
    await city.locator('#foptions-1').fill('1份、2份');
    await city.getByRole('button', { name: '保存' }).click();
    await expect(city.getByRole('cell', { name: `夏送清凉${tag}` })).toBeVisible();
    await city.context().close();

    // The member finds it in the hall and asks for it.
    await memberSignsInAt(page, '/me/requests', phone, codeAt);
    await page.goto('/hall?m=culture');
    await page.getByRole('link', { name: new RegExp(`夏送清凉${tag}`) }).click();
    await page.getByRole('button', { name: '提交申请' }).click();
    await expect(page.getByText('请填写此项。')).toBeVisible();
    await page.getByLabel('收货地址').fill('东风街道物流园3号库');
    await page.getByLabel('份数').selectOption('2份');
    await page.getByRole('button', { name: '提交申请' }).click();
    await expect(page.getByText('申请已提交')).toBeVisible();
    await expect(page.getByText('2份')).toBeVisible();

    // Medical aid, found by searching, with a photo of the bills.
    await page.goto('/hall');
    await page.getByLabel('查找服务').fill('医疗');
    await page.getByRole('button', { name: '搜索' }).click();
    await page.getByRole('link', { name: /医疗救助/ }).click();
    await page.getByLabel('患者与本人关系').selectOption('本人');
    await page.getByLabel('就诊医院').fill('蚌埠医学院第一附属医院');
    await page.getByLabel('诊断', { exact: true }).fill('腰椎间盘突出');
    await page.getByLabel('入院日期').fill('2026-11-20');
    await page.getByLabel('个人自付金额（元）').fill('8650.5');
    // A wrong amount first: told beside the field, everything else kept.
    await page.getByLabel('个人自付金额（元）').fill('八千');
    await page.getByLabel(/医疗票据/).setInputFiles({ name: 'bills.png', mimeType: 'image/png', buffer: PNG });
    await page.getByRole('button', { name: '提交申请' }).click();
    await expect(page.getByText(/请填写金额（元）/)).toBeVisible();
    await expect(page.getByLabel('就诊医院')).toHaveValue('蚌埠医学院第一附属医院');
    await page.getByLabel('个人自付金额（元）').fill('8650.5');
    if (await page.getByText(/已上传/).count() === 0) {
      await page.getByLabel(/医疗票据/).setInputFiles({ name: 'bills.png', mimeType: 'image/png', buffer: PNG });
    }
    await page.getByRole('button', { name: '提交申请' }).click();
    await expect(page.getByText('申请已提交')).toBeVisible();
    await expect(page.getByText('已收到').first()).toBeVisible();
    const id = page.url().match(/\/me\/requests\/(\d+)/)![1];
    await expect.poll(() => progress(phone).filter((t) => t.includes('医疗救助')).length, { timeout: 20_000 }).toBe(1);

    // The county federation accepts it and completes it.
    const county = await newPage(browser, info.project.use);
    await signIn(county, 'e2e_lzh_mgr');
    await county.goto('/admin/hall');
    await expect(county.getByRole('list', { name: '服务办理' })).toContainText('医疗救助');
    await county.goto(`/admin/hall/${id}`);
    await expect(county.getByText('蚌埠医学院第一附属医院')).toBeVisible();
    await expect(county.getByRole('link', { name: /医疗票据/ })).toBeVisible();
    await county.getByRole('button', { name: '受理' }).click();
    await expect(county.getByText('已办理，申请人将收到短信')).toBeVisible();
    await county.getByLabel(/说明/).fill('救助金已发放至本人银行卡');
    await county.getByRole('button', { name: '办结' }).click();
    await expect(county.getByText('已办理，申请人将收到短信')).toBeVisible();
    await county.context().close();

    // The member sees each step and has had each SMS.
    await page.goto(`/me/requests/${id}`);
    await expect(page.getByText('已受理')).toBeVisible();
    await expect(page.getByText('已办结').first()).toBeVisible();
    await expect(page.getByText('救助金已发放至本人银行卡')).toBeVisible();
    await expect.poll(() => progress(phone).filter((t) => t.includes('医疗救助')).length, { timeout: 20_000 }).toBe(3);
    const texts = progress(phone).filter((t) => t.includes('医疗救助')).join('\n');
    for (const step of ['已收到', '已受理', '已办结']) expect(texts).toContain(step);
  });
});
