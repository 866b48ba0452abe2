//! The fetch adapter: one signed request through the host's `fetch`, with a deadline, and its
//! answer read back with a byte cap, as a chain of `Promise.then` continuations.
//!
//! The request is a URL and a `RequestInit` (method, form content type through gloo-net's
//! `Headers`, the signed body, an `AbortSignal`, `redirect: 'error'`), never a `Request`
//! object: undici pipes a `Request`'s body through an extra stream (docs/contracts.md).
//! The answer is read through gloo-net's `Response` wrapper.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_net::http::Headers;
use js_sys::{Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{AbortController, ReadableStreamDefaultReader, RequestInit, RequestRedirect};

use crate::error::NetworkErrorKind;
use crate::transport::{classify, Body, HttpRequest, Rejection, TransportResult};

#[wasm_bindgen]
extern "C" {
    /// The host's side of a send: `fetch`, a clock, a nonce source and a sleep
    /// (`docs/contracts.md`). Every call is caught: a host function that throws is a value.
    #[wasm_bindgen(typescript_type = "Transport")]
    pub type JsTransport;

    #[wasm_bindgen(method, catch)]
    fn fetch(this: &JsTransport, url: &JsValue, init: &RequestInit) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch)]
    pub(crate) fn now(this: &JsTransport) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch)]
    pub(crate) fn nonce(this: &JsTransport) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch)]
    pub(crate) fn sleep(this: &JsTransport, ms: u32) -> Result<JsValue, JsValue>;

    /// What `sleep` returns: a promise, with `cancel()` to clear its timer.
    type Sleeping;

    #[wasm_bindgen(method, catch)]
    fn cancel(this: &Sleeping) -> Result<(), JsValue>;

    /// A promise seen through `then` with continuations that return a value (or a promise
    /// the chain then adopts), which js-sys's typed `then2` does not allow.
    type Thenable;

    #[wasm_bindgen(method, js_name = then)]
    fn then_with(this: &Thenable, on_ok: &JsValue, on_err: &JsValue) -> Promise;

    /// A `RequestInit` and a `Headers` used with names and values kept as JS strings.
    type Kept;

    #[wasm_bindgen(method, setter = method)]
    fn set_method(this: &Kept, method: &JsValue);

    #[wasm_bindgen(method, catch, js_name = get)]
    fn header(this: &Kept, name: &JsValue) -> Result<Option<String>, JsValue>;
}

/// `value`, or the promise it is, as a promise (a test's fetch may answer synchronously).
pub(crate) fn promise_of(result: Result<JsValue, JsValue>) -> Promise {
    match result {
        Ok(value) => Promise::resolve(&value),
        Err(thrown) => Promise::reject(&thrown),
    }
}

/// A continuation: what a settled promise's value (or rejection) leads to.
type Continuation = Box<dyn FnOnce(JsValue) -> JsValue>;

/// A pair of continuations waiting for one promise.
type Pair = (Continuation, Continuation);

/// The continuations of the exchanges in flight, in reusable slots. A ticket names a slot and
/// the generation it was issued in, so a ticket whose slot was reused meanwhile finds nothing.
#[derive(Default)]
struct Waiting {
    slots: Vec<(u32, Option<Pair>)>,
    free: Vec<usize>,
}

/// Tickets are slot + generation × 2³², exact in the f64 a JS number is.
const GENERATION: f64 = 4_294_967_296.0;

impl Waiting {
    fn insert(&mut self, pair: Pair) -> f64 {
        let index = self.free.pop().unwrap_or(self.slots.len());
        if index == self.slots.len() {
            self.slots.push((0, None));
        }
        match self.slots.get_mut(index) {
            Some(slot) => {
                slot.0 = slot.0.wrapping_add(1);
                slot.1 = Some(pair);
                index as f64 + f64::from(slot.0) * GENERATION
            }
            // Unreachable: the slot was just found or pushed. A ticket that names nothing.
            None => -1.0,
        }
    }

    fn take(&mut self, ticket: f64) -> Option<Pair> {
        // Saturating conversions: a ticket that names no slot of its generation finds nothing.
        let index = (ticket % GENERATION) as usize;
        let generation = (ticket / GENERATION) as u32;
        let slot = self.slots.get_mut(index)?;
        if slot.0 != generation {
            return None;
        }
        let pair = slot.1.take();
        if pair.is_some() {
            self.free.push(index);
        }
        pair
    }
}

thread_local! {
    /// A send's hot path chains through these slots and one JS function made once, bound to a
    /// ticket per use, instead of a new closure per step: every closure costs a JS function and
    /// a finalizer registration.
    static WAITING: RefCell<Waiting> = RefCell::new(Waiting::default());
    /// `resume(ticket, value)`, the one JS function every ticket is bound to: the ticket for a
    /// fulfilment, its negation minus one for a rejection.
    static RESUME: std::cell::OnceCell<js_sys::Function> = const { std::cell::OnceCell::new() };
}

/// Runs the continuation a ticket's promise settled to; a ticket cancelled meanwhile (its
/// exchange ended another way) leads nowhere.
fn resume(signed: f64, value: JsValue) -> JsValue {
    let ok = signed >= 0.0;
    let ticket = if ok { signed } else { -signed - 1.0 };
    let pair = WAITING.with(|waiting| waiting.borrow_mut().take(ticket));
    match pair {
        Some((on_ok, on_err)) => {
            if ok {
                on_ok(value)
            } else {
                on_err(value)
            }
        }
        None => pending(),
    }
}

/// `promise.then(on_ok, on_err)` with Rust continuations, for a promise that settles.
pub(crate) fn then2(
    promise: &Promise,
    on_ok: impl FnOnce(JsValue) -> JsValue + 'static,
    on_err: impl FnOnce(JsValue) -> JsValue + 'static,
) -> Promise {
    then_ticket(promise, on_ok, on_err).0
}

/// `promise.then(on_ok, on_err)` through a ticket, which [`cancel`] drops: for the steps of an
/// exchange, whose abandoned continuations are dropped when it ends.
fn then_ticket(
    promise: &Promise,
    on_ok: impl FnOnce(JsValue) -> JsValue + 'static,
    on_err: impl FnOnce(JsValue) -> JsValue + 'static,
) -> (Promise, f64) {
    let pair: Pair = (Box::new(on_ok), Box::new(on_err));
    let ticket = WAITING.with(|waiting| waiting.borrow_mut().insert(pair));
    let resume = RESUME.with(|cell| {
        cell.get_or_init(|| {
            Closure::<dyn Fn(f64, JsValue) -> JsValue>::new(resume)
                .into_js_value()
                .unchecked_into()
        })
        .clone()
    });
    let on_ok = resume.bind1(&JsValue::NULL, &JsValue::from(ticket));
    let on_err = resume.bind1(&JsValue::NULL, &JsValue::from(-ticket - 1.0));
    let chained = promise
        .unchecked_ref::<Thenable>()
        .then_with(&on_ok, &on_err);
    (chained, ticket)
}

/// Drops a ticket's continuations, if they have not run.
fn cancel(ticket: Option<f64>) {
    if let Some(ticket) = ticket {
        // Dropped after the borrow ends: what a continuation captured may end an exchange too.
        let pair = WAITING.with(|waiting| waiting.borrow_mut().take(ticket));
        drop(pair);
    }
}

thread_local! {
    /// The last URL requested, and its JS string: a send goes to the same URL as the last one
    /// but for a change of region, and a string made from Rust is decoded from UTF-8 each time.
    static URL: RefCell<(String, JsValue)> = const { RefCell::new((String::new(), JsValue::UNDEFINED)) };
    /// The request headers, made once: every request carries the same ones, and fetch copies
    /// them without changing them.
    static HEADERS: std::cell::OnceCell<JsValue> = const { std::cell::OnceCell::new() };
}

fn headers_of(request: &HttpRequest) -> JsValue {
    let headers = Headers::new();
    for (name, value) in &request.headers {
        headers.set(name, value);
    }
    headers.into_raw().into()
}

/// Where an answer goes: the send's next step.
type Done = Box<dyn FnOnce(TransportResult) -> JsValue>;

/// One request in flight.
struct Exchange {
    /// Where the answer goes, until it has gone.
    done: RefCell<Option<Done>>,
    /// Aborts the fetch and the reading of its body when the deadline passes.
    abort: AbortController,
    /// The deadline's sleep, cancelled once the answer is in.
    deadline: RefCell<JsValue>,
    /// The tickets of the deadline's continuations and of the answer's next step, dropped when
    /// the exchange ends (a cancelled sleep never settles; an abandoned fetch may never).
    deadline_ticket: Cell<Option<f64>>,
    step_ticket: Cell<Option<f64>>,
    timeout_ms: u32,
    max_bytes: usize,
    status: Cell<u16>,
    bytes: RefCell<Vec<u8>>,
}

impl Exchange {
    fn finish(&self, result: TransportResult) -> JsValue {
        // Taken, so the pending timer (and the continuation it holds, which holds this
        // exchange) can be collected. A sleep without cancel() fires later and finds nothing.
        let deadline = self.deadline.replace(JsValue::UNDEFINED);
        let _ = deadline.unchecked_ref::<Sleeping>().cancel();
        cancel(self.deadline_ticket.take());
        cancel(self.step_ticket.take());
        let done = self.done.borrow_mut().take();
        match done {
            Some(done) => done(result),
            None => pending(),
        }
    }

    fn failed(&self, thrown: &JsValue) -> JsValue {
        self.finish(classify(&rejection_of(thrown), self.timeout_ms))
    }

    /// The deadline passed: aborts the request and the reading of its answer, and ends the
    /// exchange with a timeout if it has not ended already.
    fn expire(&self, why: &str) -> JsValue {
        if self.done.borrow().is_none() {
            return pending();
        }
        self.abort.abort();
        let timed_out = Rejection {
            timed_out: true,
            messages: vec![why.to_string()],
            ..Rejection::default()
        };
        self.finish(classify(&timed_out, self.timeout_ms))
    }
}

/// Whether `value` has a `then` method (a promise, or a promise-like the chain can adopt).
fn is_thenable(value: &JsValue) -> bool {
    value.is_object()
        && super::NAMES
            .with(|names| Reflect::get(value, names.get(super::Name::Then)))
            .is_ok_and(|then| then.is_function())
}

/// Sends `request` with `transport` and hands what came back to `done`, once: the answer, a
/// failure, or the deadline passing, whichever is first. Returns the promise of whatever `done`
/// returns. `abort` is the send's controller, aborted when a deadline passes. Errors are values:
/// nothing here rejects on its own.
pub(crate) fn exchange(
    transport: &JsTransport,
    request: &HttpRequest,
    abort: &AbortController,
    done: impl FnOnce(TransportResult) -> JsValue + 'static,
) -> Promise {
    let exchange = Rc::new(Exchange {
        done: RefCell::new(Some(Box::new(done))),
        abort: abort.clone(),
        deadline: RefCell::new(JsValue::UNDEFINED),
        deadline_ticket: Cell::new(None),
        step_ticket: Cell::new(None),
        timeout_ms: request.timeout_ms,
        max_bytes: request.max_response_bytes,
        status: Cell::new(0),
        bytes: RefCell::new(Vec::new()),
    });

    // Every request has a deadline: without a working sleep, nothing is sent.
    let timer = match transport.sleep(request.timeout_ms) {
        Ok(timer) if is_thenable(&timer) => timer,
        Ok(_) => {
            return Promise::resolve(&exchange.finish(unsent(
                "the transport's sleep() returned no promise, so no deadline could be set",
            )))
        }
        Err(_) => {
            return Promise::resolve(&exchange.finish(unsent(
                "the transport's sleep() threw, so no deadline could be set",
            )))
        }
    };
    // The deadline ends the send itself, whatever the fetch or the body's stream do with the
    // abort signal; a sleep that rejects loses the deadline, which ends the send the same way.
    let expired = Rc::clone(&exchange);
    let lost = Rc::clone(&exchange);
    let (deadline, ticket) = then_ticket(
        &Promise::resolve(&timer),
        move |_| expired.expire("no answer within the deadline"),
        move |_| lost.expire("the transport's sleep() rejected, so the deadline was lost"),
    );
    exchange.deadline_ticket.set(Some(ticket));
    exchange.deadline.replace(timer);

    let init = RequestInit::new();
    if request.method == "POST" {
        super::NAMES.with(|names| {
            init.unchecked_ref::<Kept>()
                .set_method(names.get(super::Name::Post))
        });
    } else {
        init.set_method(request.method);
    }
    let url = URL.with(|kept| {
        let mut kept = kept.borrow_mut();
        if kept.0 != request.url {
            *kept = (request.url.clone(), JsValue::from_str(&request.url));
        }
        kept.1.clone()
    });
    HEADERS.with(|headers| init.set_headers(headers.get_or_init(|| headers_of(request))));
    init.set_body(&JsValue::from_str(&request.body));
    init.set_signal(Some(&exchange.abort.signal()));
    init.set_redirect(RequestRedirect::Error);

    let answered = Rc::clone(&exchange);
    let refused = Rc::clone(&exchange);
    let (answer, ticket) = then_ticket(
        &promise_of(transport.fetch(&url, &init)),
        move |response| read_answer(&answered, response),
        move |thrown| refused.failed(&thrown),
    );
    exchange.step_ticket.set(Some(ticket));
    // Whichever ends the exchange settles the send; the other chain is left pending. A trap in
    // either rejects the race, which the shim sees.
    Promise::race(&js_sys::Array::of2(&answer, &deadline))
}

/// A promise that never settles: what the chain that did not end an exchange resolves to.
fn pending() -> JsValue {
    // `Promise.race([])` never settles, and needs no executor.
    Promise::race(&js_sys::Array::new()).into()
}

fn unsent(message: &str) -> TransportResult {
    TransportResult::NetworkError {
        kind: NetworkErrorKind::Other,
        message: message.into(),
        sent: false,
    }
}

/// Reads the status and at most `max_bytes + 1` bytes of the body, chunk by chunk. An answer
/// that declares a length within the cap is done once that many bytes are in, usually after
/// one read; `Response.text()` would trust the declaration and read a body that never ends
/// (a made-up Response, say) to the end, deadline or not.
fn read_answer(exchange: &Rc<Exchange>, response: JsValue) -> JsValue {
    let Ok(response) = response.dyn_into::<web_sys::Response>() else {
        return exchange.finish(TransportResult::NetworkError {
            kind: NetworkErrorKind::Other,
            message: "the transport's fetch resolved to something that is not a Response".into(),
            sent: true,
        });
    };
    let response = gloo_net::http::Response::from(response);
    let status = response.status();
    exchange.status.set(status);
    let declared = super::NAMES
        .with(|names| {
            response
                .headers()
                .into_raw()
                .unchecked_ref::<Kept>()
                .header(names.get(super::Name::ContentLength))
        })
        // As gloo-net's `Headers::get`: a host whose `get` throws gets its exception back.
        .unwrap_or_else(|thrown| wasm_bindgen::throw_val(thrown))
        .and_then(|length| length.trim().parse::<usize>().ok())
        .filter(|&length| length <= exchange.max_bytes);
    let Some(stream) = web_sys::Response::from(response).body() else {
        return exchange.finish(TransportResult::Response {
            status,
            body: Body::Text(String::new()),
        });
    };
    let reader = stream
        .get_reader()
        .unchecked_into::<ReadableStreamDefaultReader>();
    read_chunk(Rc::clone(exchange), reader, declared)
}

fn read_chunk(
    exchange: Rc<Exchange>,
    reader: ReadableStreamDefaultReader,
    declared: Option<usize>,
) -> JsValue {
    let broken = Rc::clone(&exchange);
    let this = Rc::clone(&exchange);
    let (chunk, ticket) = then_ticket(
        &reader.read(),
        move |chunk| {
            let field = |name| super::NAMES.with(|names| Reflect::get(&chunk, names.get(name)));
            let done = field(super::Name::Done)
                .map(|done| done.is_truthy())
                .unwrap_or(true);
            if let Ok(bytes) =
                field(super::Name::Value).and_then(|value| value.dyn_into::<Uint8Array>())
            {
                let mut kept = exchange.bytes.borrow_mut();
                let room = (exchange.max_bytes + 1).saturating_sub(kept.len());
                let take = (bytes.length() as usize).min(room);
                kept.extend_from_slice(&bytes.subarray(0, take as u32).to_vec());
            }
            let kept = exchange.bytes.borrow().len();
            let full = kept > exchange.max_bytes;
            let complete = declared.is_some_and(|length| kept >= length);
            if done || full || complete {
                if full && !done {
                    // The rest is not needed; cancelling frees the connection. A complete
                    // answer is left alone: its stream ends by itself, keeping the connection.
                    let _ = reader.cancel();
                }
                // As Response.text() decodes: UTF-8 with a leading byte order mark dropped.
                let bytes = exchange.bytes.take();
                let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
                let body = Body::read(
                    String::from_utf8_lossy(text).into_owned(),
                    exchange.max_bytes,
                );
                return exchange.finish(TransportResult::Response {
                    status: exchange.status.get(),
                    body,
                });
            }
            read_chunk(exchange, reader, declared)
        },
        move |thrown| broken.failed(&thrown),
    );
    this.step_ticket.set(Some(ticket));
    chunk.into()
}

/// What a rejection says, read defensively: anything may be thrown, a Proxy included.
fn rejection_of(thrown: &JsValue) -> Rejection {
    let mut rejection = Rejection {
        name: text(thrown, "name").unwrap_or_default(),
        ..Rejection::default()
    };
    collect(thrown, &mut rejection, 0);
    if rejection.messages.is_empty() {
        if let Some(text) = thrown.as_string() {
            rejection.messages.push(text);
        }
    }
    rejection
}

/// Deepest `cause` chain followed.
const MAX_CAUSES: usize = 5;

fn collect(error: &JsValue, into: &mut Rejection, depth: usize) {
    if depth > MAX_CAUSES || !error.is_object() {
        return;
    }
    if let Some(code) = text(error, "code") {
        into.codes.push(code);
    }
    if let Some(message) = text(error, "message") {
        into.messages.push(message);
    }
    if let Ok(cause) = Reflect::get(error, &JsValue::from_str("cause")) {
        collect(&cause, into, depth + 1);
    }
    // Happy eyeballs: an AggregateError holds one error per address tried. Read through
    // Reflect only: Array.isArray throws for a revoked Proxy.
    if let Ok(errors) = Reflect::get(error, &JsValue::from_str("errors")) {
        let length = Reflect::get(&errors, &JsValue::from_str("length"))
            .ok()
            .and_then(|length| length.as_f64())
            .unwrap_or(0.0);
        if errors.is_object() && length >= 1.0 {
            for index in 0..length.min(8.0) as u32 {
                if let Ok(each) = Reflect::get_u32(&errors, index) {
                    collect(&each, into, depth + 1);
                }
            }
        }
    }
}

fn text(value: &JsValue, key: &str) -> Option<String> {
    Reflect::get(value, &JsValue::from_str(key))
        .ok()?
        .as_string()
}
