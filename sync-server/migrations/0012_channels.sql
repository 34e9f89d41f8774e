-- Group robots a contractor's team lives in (WeCom 企业微信, DingTalk 钉钉):
-- one per contractor per project, chosen by the CS center. The robot's
-- signing secret (DingTalk) is kept here; the message is signed when sent.
CREATE TABLE contractor_channels (
    project TEXT NOT NULL,
    contractor TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('wecom', 'dingtalk')),
    webhook TEXT NOT NULL,
    secret TEXT,
    updated_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (project, contractor)
);
