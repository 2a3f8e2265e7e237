//! The command centre.
macro_rules! command_words {
    ({ $($acc:tt)* } $($rest:ident)*) => { gather! { { $($acc)*
        CommandCentre => "指挥中心", "Command centre";
        OverdueList => "逾期督办", "Overdue";
        FigMembers => "会员", "Members";
        FigToday => "今日入会", "Joined today";
        FigWeek => "本周入会", "This week";
        FigMonth => "本月入会", "This month";
        FigPending => "待审核", "Pending";
        FigOverdue => "已逾期", "Overdue";
        FigOnTime => "30天按时率", "On time (30 days)";
        FigPooled => "周转池", "In the pool";
        FigPoolDays => "最长等待{}天", "longest {} days";
        FigTransfers => "待接收转会", "Transfers waiting";
        FigPlaced => "本月安置", "Placed this month";
        FigTransferIn => "本月转入", "In this month";
        FigTransferOut => "本月转出", "Out this month";
        SubUnions => "下级工会", "Unions below";
        Totals => "合计", "Total";
        JoinsPerDay => "近30天每日入会人数", "Members joined per day, last 30 days";
        ChartSummary => "近30天共入会{}人，单日最多{}人", "{} joined in 30 days; at most {} in a day";
        CountedAt => "统计于 {}", "Counted at {}";
        LiveOn => "实时更新中", "Live";
        LiveLost => "连接中断，正在重连…", "Connection lost, reconnecting…";
        LiveNeedsJs => "开启 JavaScript 后数字自动刷新；现在显示的是打开页面时的数字。", "With JavaScript on, the figures update by themselves; these are the figures when the page was opened.";
        Breadcrumb => "层级", "Levels";
        NoSubUnions => "没有下级工会", "No unions below";
        ReviewedBy => "审核单位", "Reviewing union";
        DueWas => "截止", "Due";
        EscalationLevel => "督办级别 {}", "escalation level {}";
        ChaseNow => "督办", "Chase";
        LastChased => "{} 已由{}督办", "Chased {} by {}";
        ChaseSent => "已督办，短信已发送给审核人员：", "Chased; SMS sent to reviewers: ";
        ChaseTooSoon => "该申请一小时内已督办过，请稍后再试", "This application was chased less than an hour ago";
        NoOverdue => "没有逾期的申请", "Nothing is overdue";
        Previous => "上一页", "Previous";
        NextPage => "下一页", "Next";
    } $($rest)* } };
}
