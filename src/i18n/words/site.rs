//! The site's own words: its name, the home page, the channel poster, errors any page may show, and
//! the units and patterns around values (`{}` is where `T::fill` puts each value, in order).
macro_rules! site_words {
    ({ $($acc:tt)* } $($rest:ident)*) => { gather! { { $($acc)*
        AppName => "工会E家", "Union E-Home";
        SwitchLang => "English", "中文";
        HomeTitle => "工会E家", "Union E-Home";
        HomeIntro => "新就业形态劳动者的工会之家。扫码或点击下方按钮，手机上一屏完成入会申请。", "The union home for workers of new forms of employment: join from your phone on one screen.";
        PosterTitle => "扫码加入工会", "Scan to join the union";
        PosterSteps => "手机扫码 → 填写一屏信息 → 一个工作日内审核 → 短信通知结果", "Scan → fill one screen → decided within one working day → result by SMS";
        PosterPrint => "用浏览器菜单中的“打印”打印本页（A4）。", "Print this page with your browser's Print command (A4).";
        NotFound => "页面不存在", "Page not found";
        ErrorTitle => "无法完成请求", "The request could not be completed";
        Busy => "系统繁忙，请稍后重试。", "The system is busy, please try again.";
        ErrorRef => "如需求助，请告知此编号：{}", "If you ask for help, give this reference: {}";
        Forbidden => "拒绝访问。", "Forbidden.";
        FormTooLarge => "表单内容过长，请删减后再提交。", "The form is too large: shorten it and send again.";
        FormMalformed => "表单格式不正确，请返回重新填写。", "The form could not be read: go back and fill it in again.";
        BadAddress => "网址不正确，请检查链接，或返回首页重新进入。", "This address is not valid: check the link, or start again from the home page.";
        UnknownAction => "未知操作。", "Unknown action.";
        ProtectedFields => "这些内容不能由申请人修改。", "These fields cannot be changed by the applicant.";
        BackHome => "返回首页", "Back to home";
        Channel => "入会渠道", "Join channel";
        Hours => "小时", "h";
        Minutes => "分", "min";
        TimeLeft => "剩余 {}", "{} left";
        TimeOverdue => "逾期 {}", "overdue {}";
        InParens => "（{}）", " ({})";
        LabelValue => "{}：{}", "{}: {}";
        ListSeparator => "、", ", ";
    } $($rest)* } };
}
