-- 0006: a token per (article, point) that changes whenever the open questions there may have
-- changed, so the duplicate check can keep each point's open questions in memory and know,
-- with one indexed read, whether its copy is still current (bot/storage/open_questions.py).
-- Triggers keep it, so no write path can forget to. The token is random: a rolled-back
-- transaction restores the old token, which no in-memory copy made inside it can hold.

CREATE TABLE open_question_sets (
    article_id  INTEGER NOT NULL,
    point       INTEGER NOT NULL,  -- -1: questions on the whole article (point NULL)
    token       BLOB NOT NULL,
    PRIMARY KEY (article_id, point)
) WITHOUT ROWID;

INSERT INTO open_question_sets (article_id, point, token)
    SELECT DISTINCT article_id, ifnull(point, -1), randomblob(8) FROM questions;

CREATE TRIGGER open_question_sets_insert AFTER INSERT ON questions BEGIN
    INSERT INTO open_question_sets (article_id, point, token)
        VALUES (new.article_id, ifnull(new.point, -1), randomblob(8))
        ON CONFLICT (article_id, point) DO UPDATE SET token = excluded.token;
END;

CREATE TRIGGER open_question_sets_update
AFTER UPDATE OF article_id, point, text, status, merged_into ON questions BEGIN
    INSERT INTO open_question_sets (article_id, point, token)
        VALUES (old.article_id, ifnull(old.point, -1), randomblob(8))
        ON CONFLICT (article_id, point) DO UPDATE SET token = excluded.token;
    INSERT INTO open_question_sets (article_id, point, token)
        VALUES (new.article_id, ifnull(new.point, -1), randomblob(8))
        ON CONFLICT (article_id, point) DO UPDATE SET token = excluded.token;
END;

CREATE TRIGGER open_question_sets_delete AFTER DELETE ON questions BEGIN
    INSERT INTO open_question_sets (article_id, point, token)
        VALUES (old.article_id, ifnull(old.point, -1), randomblob(8))
        ON CONFLICT (article_id, point) DO UPDATE SET token = excluded.token;
END;

-- The hourly question limit counts one asker's recent questions: read from the index alone.
DROP INDEX questions_by_asker;
CREATE INDEX questions_by_asker ON questions (asker_platform, asker_id, asked_at);
