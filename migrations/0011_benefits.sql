-- Benefits: partner institutions and merchants, merchant staff accounts (admins bound to one
-- merchant), campaigns of coupons and gift packs with their stock and targets, the coupons
-- members hold, one-time redemption codes (only MACs kept), redemptions with their reversal,
-- wrong-code counts, and the welcome grant's cursor.

-- A partner institution: a bank, UnionPay Commerce …
CREATE TABLE partners (
    id @ID@,
    name TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

-- A merchant belongs to one scenario: catering, fuel, vehicle_service, shopping, health, travel.
CREATE TABLE merchants (
    id @ID@,
    name TEXT NOT NULL UNIQUE,
    scenario TEXT NOT NULL,
    partner_id BIGINT REFERENCES partners (id),
    created_at BIGINT NOT NULL
);

-- A merchant staff account is an admin account bound to a merchant (roles merchant_staff,
-- merchant_manager): it reaches the merchant screens of its own merchant only.
ALTER TABLE admins ADD COLUMN merchant_id BIGINT REFERENCES merchants (id);

-- `claimed` counts coupons handed out; a claim is one conditional UPDATE (claimed < stock).
-- Targets (all optional, all must hold): a union's subtree, an occupation, joined within N days.
CREATE TABLE campaigns (
    id @ID@,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    stock BIGINT NOT NULL,
    claimed BIGINT NOT NULL DEFAULT 0,
    per_member BIGINT NOT NULL,
    claim_from BIGINT NOT NULL,
    claim_until BIGINT NOT NULL,
    redeem_until BIGINT NOT NULL,
    target_org_id BIGINT REFERENCES orgs (id),
    target_occupation TEXT,
    new_member_days BIGINT,
    welcome BIGINT NOT NULL DEFAULT 0,
    created_by BIGINT REFERENCES admins (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX campaigns_window ON campaigns (claim_until);

CREATE TABLE campaign_merchants (
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id),
    merchant_id BIGINT NOT NULL REFERENCES merchants (id),
    PRIMARY KEY (campaign_id, merchant_id)
);
CREATE INDEX campaign_merchants_merchant ON campaign_merchants (merchant_id);

-- status: unused, redeemed, void. A coupon of a member who left is void when read.
CREATE TABLE coupons (
    id @ID@,
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id),
    member_id BIGINT NOT NULL REFERENCES members (id),
    welcome BIGINT NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    claimed_at BIGINT NOT NULL,
    claim_day BIGINT NOT NULL
);
CREATE INDEX coupons_member ON coupons (member_id, campaign_id);
CREATE INDEX coupons_campaign ON coupons (campaign_id, claim_day);
-- A welcome pack is granted to a member once, whichever instance's worker gets there first.
CREATE UNIQUE INDEX coupons_welcome_once ON coupons (campaign_id, member_id) WHERE welcome = 1;

-- The live one-time code of a coupon: a MAC of the QR token and a MAC of the 8 digits. The
-- digits are unique among stored codes; a new code replaces the coupon's old one; redemption
-- deletes it (a conditional DELETE: one of two confirms wins).
CREATE TABLE redeem_codes (
    digits_mac TEXT PRIMARY KEY,
    token_mac TEXT NOT NULL UNIQUE,
    coupon_id BIGINT NOT NULL UNIQUE REFERENCES coupons (id),
    expires_at BIGINT NOT NULL
);
CREATE INDEX redeem_codes_expiry ON redeem_codes (expires_at);

-- Each redemption, kept after a reversal (which sets reversed_*).
CREATE TABLE redemptions (
    id @ID@,
    coupon_id BIGINT NOT NULL REFERENCES coupons (id),
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id),
    merchant_id BIGINT NOT NULL REFERENCES merchants (id),
    staff_id BIGINT NOT NULL REFERENCES admins (id),
    at BIGINT NOT NULL,
    day BIGINT NOT NULL,
    reversed_at BIGINT,
    reversed_by BIGINT REFERENCES admins (id),
    reverse_reason TEXT
);
CREATE INDEX redemptions_merchant ON redemptions (merchant_id, at);
CREATE INDEX redemptions_campaign ON redemptions (campaign_id, day);
CREATE INDEX redemptions_coupon ON redemptions (coupon_id);

-- Wrong codes typed at a merchant, counted over a window per staff account and per merchant.
CREATE TABLE redeem_failures (
    id @ID@,
    staff_id BIGINT NOT NULL,
    merchant_id BIGINT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX redeem_failures_staff ON redeem_failures (staff_id, at);
CREATE INDEX redeem_failures_merchant ON redeem_failures (merchant_id, at);

-- How far the welcome grant has looked through members (by id), so it never rescans them.
CREATE TABLE welcome_cursor (
    id BIGINT PRIMARY KEY,
    last_member_id BIGINT NOT NULL
);
INSERT INTO welcome_cursor (id, last_member_id) SELECT 1, COALESCE(MAX(id), 0) FROM members;
