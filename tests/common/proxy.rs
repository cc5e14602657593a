//! The pieces of the fault-injecting TCP proxies: relaying one connection to
//! the server, optionally cutting it after a number of bytes in one direction,
//! as a dropped network would.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

/// Where a connection is cut, if it is.
#[derive(Clone, Copy, Debug)]
pub enum Cut {
    None,
    /// After this many bytes of the request.
    Request(usize),
    /// After this many bytes of the answer.
    Answer(usize),
}

/// Copies from `from` to `to`, stopping after `budget` bytes; answers
/// whether the budget ran out (the connection was cut).
async fn pipe(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, budget: usize) -> bool {
    let mut left = budget;
    let mut buf = vec![0u8; 8192];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => {
                let _ = to.shutdown().await;
                return false;
            }
            Ok(n) => n,
        };
        let take = n.min(left);
        if to.write_all(&buf[..take]).await.is_err() {
            return false;
        }
        left -= take;
        if left == 0 {
            return true;
        }
    }
}

/// Relays `client` to `upstream` until either side closes, or cuts both
/// directions at once where `cut` says. Answers whether it cut.
pub async fn relay(client: TcpStream, upstream: SocketAddr, cut: Cut) -> bool {
    let Ok(server) = TcpStream::connect(upstream).await else {
        return false;
    };
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let (up_budget, down_budget) = match cut {
        Cut::None => (usize::MAX, usize::MAX),
        Cut::Request(n) => (n, usize::MAX),
        Cut::Answer(n) => (usize::MAX, n),
    };
    let up = tokio::spawn(pipe(client_read, server_write, up_budget));
    let down = tokio::spawn(pipe(server_read, client_write, down_budget));
    match cut {
        Cut::Request(_) => {
            let cut = up.await.unwrap_or(false);
            down.abort();
            cut
        }
        Cut::Answer(_) => {
            let cut = down.await.unwrap_or(false);
            up.abort();
            cut
        }
        Cut::None => {
            let _ = tokio::join!(up, down);
            false
        }
    }
}
