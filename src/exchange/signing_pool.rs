//! An opt-in, bounded pool of threads that prepare and sign calls
//! ([`ClientBuilder::signing_pool`](crate::ClientBuilder::signing_pool)).
//!
//! Without it a call signs on the task that makes it: one RSA signature (about 0.25 ms) is the
//! longest the client ever holds an executor thread, which is right on a multi-thread runtime.
//! On a current-thread runtime, or one whose threads must stay free for other work, the pool
//! moves signing to threads of its own. It is bounded: at most `threads + queue` calls are
//! signing or waiting, and the next one waits (asynchronously) for a place, so a burst slows the
//! callers down instead of growing a queue without end.

use crate::error::{Error, Result};
use std::panic::AssertUnwindSafe;
use std::sync::{mpsc, Arc, Mutex};

type Job = Box<dyn FnOnce() + Send>;

/// The pool: its job queue and the places a call must hold to enter it.
pub(crate) struct SigningPool {
    jobs: mpsc::Sender<Job>,
    places: Arc<tokio::sync::Semaphore>,
}

impl std::fmt::Debug for SigningPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningPool")
            .field("free_places", &self.places.available_permits())
            .finish()
    }
}

impl SigningPool {
    /// Starts `threads` threads; `threads + queue` calls may be inside at once.
    pub(crate) fn new(threads: usize, queue: usize) -> Result<SigningPool> {
        if threads == 0 {
            return Err(Error::config(
                "signing_pool",
                "needs at least one thread (or leave it out to sign on the calling task)",
            ));
        }
        let places = threads
            .checked_add(queue)
            .filter(|p| *p <= tokio::sync::Semaphore::MAX_PERMITS && threads <= 1024)
            .ok_or_else(|| {
                Error::config(
                    "signing_pool",
                    format!("{threads} threads and a queue of {queue}: at most 1,024 threads and a few million places"),
                )
            })?;
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("wechatpay-sign-{i}"))
                .spawn(move || worker(&rx))
                .map_err(|e| {
                    Error::config("signing_pool", format!("cannot start a thread: {e}"))
                })?;
        }
        Ok(SigningPool {
            jobs: tx,
            places: Arc::new(tokio::sync::Semaphore::new(places)),
        })
    }

    /// Runs `job` on the pool once a place is free, and hands back its result. Waiting for a
    /// place ends after `wait`: then nothing was sent, and the error says so.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        wait: std::time::Duration,
        job: impl FnOnce() -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let place = match tokio::time::timeout(wait, self.places.clone().acquire_owned()).await {
            Ok(Ok(place)) => place,
            Ok(Err(_)) => return Err(Error::NotSent("the signing pool is closed".into())),
            Err(_) => {
                return Err(Error::NotSent(format!(
                    "no place on the signing pool within {wait:?} (every thread busy and the queue full)"
                )))
            }
        };
        let (tx, rx) = tokio::sync::oneshot::channel();
        let wrapped: Job = Box::new(move || {
            let _ = tx.send(job());
            drop(place);
        });
        self.jobs
            .send(wrapped)
            .map_err(|_| Error::NotSent("the signing pool's threads have stopped".into()))?;
        // Once a thread has the job, it is waited for: a signer that hangs is the signer's to
        // bound (as it is without a pool).
        rx.await.unwrap_or_else(|_| {
            Err(Error::NotSent(
                "the signing pool's thread failed while signing this call".into(),
            ))
        })
    }
}

/// A pool thread: runs jobs until the pool (its sender) is dropped with its last client. A job
/// that panics fails its own call, not the thread.
fn worker(rx: &Mutex<mpsc::Receiver<Job>>) {
    loop {
        let job = match rx.lock().unwrap_or_else(|e| e.into_inner()).recv() {
            Ok(job) => job,
            Err(_) => return,
        };
        let _ = std::panic::catch_unwind(AssertUnwindSafe(job));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const WAIT: Duration = Duration::from_secs(10);

    #[tokio::test]
    async fn runs_jobs_on_its_own_threads_and_survives_a_panic() {
        let pool = SigningPool::new(2, 0).unwrap();
        let name = pool
            .run(WAIT, || {
                Ok(std::thread::current().name().map(str::to_string))
            })
            .await
            .unwrap();
        assert!(name.unwrap().starts_with("wechatpay-sign-"));
        let failed = pool
            .run::<()>(WAIT, || panic!("a signer bug"))
            .await
            .unwrap_err();
        assert!(
            failed.to_string().contains("failed while signing"),
            "{failed}"
        );
        assert_eq!(failed.outcome(), crate::Outcome::NotSent);
        assert_eq!(pool.run(WAIT, || Ok(7)).await.unwrap(), 7);
    }

    #[tokio::test]
    async fn holds_at_most_threads_plus_queue_calls() {
        let pool = Arc::new(SigningPool::new(1, 1).unwrap());
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let hold = Arc::new(Mutex::new(hold));
        let mut calls = Vec::new();
        for _ in 0..2 {
            let (pool, hold) = (pool.clone(), hold.clone());
            calls.push(tokio::spawn(async move {
                pool.run(WAIT, move || {
                    let _ = hold.lock().unwrap().recv();
                    Ok(())
                })
                .await
            }));
        }
        // Both places are taken (one signing, one queued): a third call waits for a place.
        while pool.places.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        // A call that may not wait is refused, unsent.
        let refused = pool.run(Duration::ZERO, || Ok(0)).await.unwrap_err();
        assert_eq!(refused.outcome(), crate::Outcome::NotSent, "{refused}");
        let third = tokio::spawn({
            let pool = pool.clone();
            async move { pool.run(WAIT, || Ok(3)).await }
        });
        tokio::task::yield_now().await;
        assert!(!third.is_finished());
        release.send(()).unwrap();
        release.send(()).unwrap();
        for c in calls {
            c.await.unwrap().unwrap();
        }
        assert_eq!(third.await.unwrap().unwrap(), 3);
    }

    #[test]
    fn zero_threads_and_overflowing_sizes_are_refused() {
        for (threads, queue) in [(0, 4), (1, usize::MAX), (usize::MAX, 0), (1, 1 << 62)] {
            let e = SigningPool::new(threads, queue).unwrap_err();
            assert!(e.to_string().contains("signing_pool"), "{e}");
        }
    }
}
