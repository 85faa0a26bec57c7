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
            places: Arc::new(tokio::sync::Semaphore::new(threads + queue)),
        })
    }

    /// Runs `job` on the pool once a place is free, and hands back its result.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let place = self
            .places
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Error::Crypto("the signing pool is closed".into()))?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        let wrapped: Job = Box::new(move || {
            let _ = tx.send(job());
            drop(place);
        });
        self.jobs
            .send(wrapped)
            .map_err(|_| Error::Crypto("the signing pool's threads have stopped".into()))?;
        rx.await.unwrap_or_else(|_| {
            Err(Error::Crypto(
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

    #[tokio::test]
    async fn runs_jobs_on_its_own_threads_and_survives_a_panic() {
        let pool = SigningPool::new(2, 0).unwrap();
        let name = pool
            .run(|| Ok(std::thread::current().name().map(str::to_string)))
            .await
            .unwrap();
        assert!(name.unwrap().starts_with("wechatpay-sign-"));
        let failed = pool.run::<()>(|| panic!("a signer bug")).await.unwrap_err();
        assert!(
            failed.to_string().contains("failed while signing"),
            "{failed}"
        );
        assert_eq!(pool.run(|| Ok(7)).await.unwrap(), 7);
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
                pool.run(move || {
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
        let third = tokio::spawn({
            let pool = pool.clone();
            async move { pool.run(|| Ok(3)).await }
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
    fn zero_threads_is_refused() {
        let e = SigningPool::new(0, 4).unwrap_err();
        assert!(e.to_string().contains("signing_pool"), "{e}");
    }
}
