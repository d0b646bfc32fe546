// Client and ClientImpl: each call converts its typed request (client/convert.h), runs it through
// the failover loop (client/failover.h) and converts the answer back.
#include <utility>

#include "client/convert.h"
#include "client/endpoints.h"
#include "client/failover.h"
#include "raftkv/client.h"

namespace raftkv::client {

using internal::CallKind;
using internal::Endpoint;

// The state behind a Client: its options and its endpoints. Thread-safe: everything is fixed at
// Connect except the failover's preferred endpoint, which is atomic.
class ClientImpl {
 public:
  // A service's stub on an endpoint (&Endpoint::kv, ...), and a unary method of that stub.
  template <typename Stub>
  using Service = Stub& (Endpoint::*)() const;
  template <typename Stub, typename Request, typename Response>
  using Method = grpc::Status (Stub::*)(grpc::ClientContext*, const Request&, Response*);

  ClientImpl(ClientOptions options, std::vector<std::unique_ptr<Endpoint>> endpoints)
      : options_(std::move(options)), failover_(std::move(endpoints), options_.dial_timeout) {}

  const ClientOptions& options() const { return options_; }

  // Sends `request` with failover as `kind` allows; on success, the response through `convert`.
  template <typename Stub, typename Request, typename Response, typename Convert>
  auto Call(CallKind kind, const CallOptions& call, Service<Stub> service,
            Method<Stub, Request, Response> method, const Request& request, Convert convert)
      -> Result<decltype(convert(std::declval<const Response&>()))> {
    auto timeout = Timeout(call);
    if (!timeout.ok()) return timeout.status();
    Response response;
    Status status =
        failover_.Run(kind, *timeout, [&](const Endpoint& e, grpc::ClientContext* context) {
          return ((e.*service)().*method)(context, request, &response);
        });
    if (!status.ok()) return status;
    return convert(response);
  }

  // Sends `request` to one endpoint, without failover: one of the client's, or a temporary one.
  template <typename Stub, typename Request, typename Response, typename Convert>
  auto CallOn(std::string_view endpoint, const CallOptions& call, Service<Stub> service,
              Method<Stub, Request, Response> method, const Request& request, Convert convert)
      -> Result<decltype(convert(std::declval<const Response&>()))> {
    auto timeout = Timeout(call);
    if (!timeout.ok()) return timeout.status();
    auto address = internal::NormalizeEndpoint(endpoint);
    if (!address.ok()) return address.status();
    std::unique_ptr<Endpoint> temporary;
    const Endpoint* target = failover_.Find(*address);
    if (target == nullptr) {
      temporary = std::make_unique<Endpoint>(*address);
      target = temporary.get();
    }
    Response response;
    Status status =
        failover_.RunOn(*target, *timeout, [&](const Endpoint& e, grpc::ClientContext* context) {
          return ((e.*service)().*method)(context, request, &response);
        });
    if (!status.ok()) return status;
    return convert(response);
  }

 private:
  // The timeout of a call: its own, else the client's. InvalidArgument when negative.
  Result<std::chrono::milliseconds> Timeout(const CallOptions& call) const {
    if (call.timeout.count() < 0) {
      return Status(ErrorCode::kInvalidArgument, "CallOptions::timeout is negative");
    }
    return call.timeout.count() == 0 ? options_.timeout : call.timeout;
  }

  const ClientOptions options_;  // endpoints normalized
  internal::Failover failover_;
};

namespace {

Status InvalidOption(std::string message) {
  return Status(ErrorCode::kInvalidArgument, std::move(message));
}

CompactResult FromCompactionResponse(const etcdserverpb::CompactionResponse& response) {
  return CompactResult{internal::FromHeader(response.header())};
}

}  // namespace

Result<std::unique_ptr<Client>> Client::Connect(ClientOptions options) {
  if (options.endpoints.empty()) return InvalidOption("no endpoint given");
  if (options.timeout.count() <= 0) return InvalidOption("ClientOptions::timeout must be > 0");
  if (options.dial_timeout.count() <= 0) {
    return InvalidOption("ClientOptions::dial_timeout must be > 0");
  }
  std::vector<std::unique_ptr<Endpoint>> endpoints;
  for (std::string& endpoint : options.endpoints) {
    auto address = internal::NormalizeEndpoint(endpoint);
    if (!address.ok()) return address.status();
    endpoint = *address;
    endpoints.push_back(std::make_unique<Endpoint>(endpoint));
  }
  return std::unique_ptr<Client>(
      new Client(std::make_unique<ClientImpl>(std::move(options), std::move(endpoints))));
}

Client::Client(std::unique_ptr<ClientImpl> impl) : impl_(std::move(impl)) {}
Client::~Client() = default;

const std::vector<std::string>& Client::endpoints() const { return impl_->options().endpoints; }

Result<GetResult> Client::Get(std::string_view key, const GetOptions& options,
                              const CallOptions& call) {
  auto request = internal::ToRangeRequest(key, options);
  if (!request.ok()) return request.status();
  return impl_->Call(CallKind::kRead, call, &Endpoint::kv, &etcdserverpb::KV::Stub::Range, *request,
                     internal::FromRangeResponse);
}

Result<PutResult> Client::Put(std::string_view key, std::string_view value,
                              const PutOptions& options, const CallOptions& call) {
  return impl_->Call(CallKind::kWrite, call, &Endpoint::kv, &etcdserverpb::KV::Stub::Put,
                     internal::ToPutRequest(key, value, options), internal::FromPutResponse);
}

Result<DeleteResult> Client::Delete(std::string_view key, const DeleteOptions& options,
                                    const CallOptions& call) {
  auto request = internal::ToDeleteRequest(key, options);
  if (!request.ok()) return request.status();
  return impl_->Call(CallKind::kWrite, call, &Endpoint::kv, &etcdserverpb::KV::Stub::DeleteRange,
                     *request, internal::FromDeleteResponse);
}

Result<TxnResult> Client::Commit(const Txn& txn, const CallOptions& call) {
  auto request = internal::ToTxnRequest(txn);
  if (!request.ok()) return request.status();
  const CallKind kind = internal::IsReadOnly(txn) ? CallKind::kRead : CallKind::kWrite;
  return impl_->Call(kind, call, &Endpoint::kv, &etcdserverpb::KV::Stub::Txn, *request,
                     internal::FromTxnResponse);
}

Result<CompactResult> Client::Compact(int64_t revision, bool physical, const CallOptions& call) {
  etcdserverpb::CompactionRequest request;
  request.set_revision(revision);
  request.set_physical(physical);
  return impl_->Call(CallKind::kWrite, call, &Endpoint::kv, &etcdserverpb::KV::Stub::Compact,
                     request, FromCompactionResponse);
}

Result<MemberListResult> Client::MemberList(const CallOptions& call) {
  return impl_->Call(CallKind::kRead, call, &Endpoint::cluster,
                     &etcdserverpb::Cluster::Stub::MemberList, etcdserverpb::MemberListRequest(),
                     internal::FromMemberListResponse);
}

Result<EndpointStatus> Client::Status(std::string_view endpoint, const CallOptions& call) {
  return impl_->CallOn(endpoint, call, &Endpoint::maintenance,
                       &etcdserverpb::Maintenance::Stub::Status, etcdserverpb::StatusRequest(),
                       internal::FromStatusResponse);
}

raftkv::client::Status Client::Health(std::string_view endpoint, const CallOptions& call) {
  // As etcdctl 3.4's "endpoint health": a linearizable read of the key "health" must succeed;
  // "permission denied" (auth is on) also proves that the cluster has a leader and serves reads.
  etcdserverpb::RangeRequest request;
  request.set_key("health");
  auto read = impl_->CallOn(endpoint, call, &Endpoint::kv, &etcdserverpb::KV::Stub::Range, request,
                            internal::FromRangeResponse);
  if (read.ok() || read.status().message().ends_with("etcdserver: permission denied")) {
    return raftkv::client::Status();
  }
  return raftkv::client::Status(read.status().code(), "unhealthy: " + read.status().message());
}

}  // namespace raftkv::client
