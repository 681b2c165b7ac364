"""Copies of residents' photos, voice notes and videos (WeChat temporary media, gone after 3
days).

- `models.MediaCopy`: one row per media id a slip refers to, written in the slip's own
  transaction (`enqueue.queue_media`, called where a slip gets media: intake and follow-ups).
- `fetcher.MediaFetcher`: the job that downloads them through media/get (a video from the
  `video_url` media/get answers with), with SKIP LOCKED claims with a lease, retries with
  backoff, and a final state staff can see; it runs next to the delivery worker
  (bot/delivery/runtime.py).
- `files.MediaFiles`: the content-addressed store on disk, and which types are accepted.
"""
