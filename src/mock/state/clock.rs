//! The notification retries' clock: waits of the retry schedule that a test (or the admin API)
//! can end at once, so the schedule is testable without waiting for it.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

/// Ends every pending wait when told to ("deliver due now").
#[derive(Default)]
pub(crate) struct RetryClock {
    /// Bumped by [`RetryClock::due_now`]; a wait that began under an older value ends.
    generation: AtomicU64,
    /// Waits in progress (retries pending).
    waiting: AtomicUsize,
    wake: tokio::sync::Notify,
}

impl RetryClock {
    /// Sleeps `d`, or less if [`RetryClock::due_now`] is called meanwhile.
    pub(crate) async fn wait(&self, d: Duration) {
        let notified = self.wake.notified();
        tokio::pin!(notified);
        // Registered before the generation is read: a `due_now` after this line wakes us.
        notified.as_mut().enable();
        let start = self.generation.load(Ordering::SeqCst);
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let sleep = tokio::time::sleep(d);
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                _ = &mut sleep => break,
                _ = &mut notified => {
                    if self.generation.load(Ordering::SeqCst) != start {
                        break;
                    }
                    notified.set(self.wake.notified());
                    notified.as_mut().enable();
                }
            }
        }
        self.waiting.fetch_sub(1, Ordering::SeqCst);
    }

    /// Ends every wait in progress: each pending retry is attempted now. Returns how many.
    pub(crate) fn due_now(&self) -> usize {
        let n = self.waiting.load(Ordering::SeqCst);
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.wake.notify_waiters();
        n
    }

    /// Retries waiting now.
    pub(crate) fn pending(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test]
    async fn due_now_ends_a_long_wait() {
        let clock = Arc::new(RetryClock::default());
        let c = clock.clone();
        let task = tokio::spawn(async move { c.wait(Duration::from_secs(3600)).await });
        while clock.pending() == 0 {
            tokio::task::yield_now().await;
        }
        assert_eq!(clock.due_now(), 1);
        task.await.unwrap();
        assert_eq!(clock.pending(), 0);
    }
}
