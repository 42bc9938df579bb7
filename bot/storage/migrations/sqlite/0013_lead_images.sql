-- 0013: an article's lead image (issue 15): the http(s) URL of the picture the feed gave
-- for the entry, shown with its summary (Discord's embed image, a Matrix m.image). The
-- outbox keeps it with the card it sends, like card_url.
ALTER TABLE articles ADD COLUMN image TEXT;
ALTER TABLE outbox ADD COLUMN card_image TEXT;
