#!/usr/bin/env bash
# Creates the Secrets the manifests in infra/k8s refer to, outside the manifests, so no secret
# value is ever committed. Run it once per cluster, before or after `kubectl apply -k infra/k8s`
# (pods wait for their Secrets). A Secret that already exists is kept as it is: running this
# again never changes a password behind a running platform.
#
#   NAMESPACE=pmi ./infra/k8s/secrets.sh
#
# JWT_SECRET and NIK_DIGEST_KEY are taken from the environment when set: JWT_SECRET must be the
# secret your identity provider signs the gateway's tokens with, and NIK_DIGEST_KEY must be the
# key of an existing installation whose data you bring over (its stored NIK digests were made
# with it). Otherwise both are random. Every password is random hex (safe inside a URL).
set -euo pipefail

NAMESPACE="${NAMESPACE:-pmi}"
BROKER=pmi-broker  # the RabbitmqCluster (broker.yaml) and its Service
BROKER_USER=pmi
DB_OWNERS=(registration documents orientation reintegration protection notifications reporting letters agencies gateway)  # database.yaml
BROKER_ONLY=()  # processes with a broker user and no database of their own

random() { openssl rand -hex "${1:-24}"; }

# create_secret NAME TYPE [kubectl create secret options...]
create_secret() {
  local name=$1 type=$2
  shift 2
  if kubectl -n "$NAMESPACE" get secret "$name" >/dev/null 2>&1; then
    echo "secret/$name exists: kept"
    return 1
  fi
  kubectl -n "$NAMESPACE" create secret "$type" "$name" "$@"
}

kubectl get namespace "$NAMESPACE" >/dev/null 2>&1 || kubectl create namespace "$NAMESPACE"

# JWT_SECRET (gateway), NIK_DIGEST_KEY (registration, orientation), PSEUDONYM_KEY (gateway,
# agencies: staff pseudonyms in what agencies receive), WEBHOOK_SECRET_KEY (agencies only: the
# agencies' webhook signing secrets sealed at rest), IDEMPOTENCY_ANSWER_KEY (the gateway and every
# service: the answers each keeps for Idempotency-Key retries, sealed under a key derived for it).
create_secret pmi-keys generic \
  --from-literal=jwt-secret="${JWT_SECRET:-$(random 32)}" \
  --from-literal=pseudonym-key="${PSEUDONYM_KEY:-$(random 32)}" \
  --from-literal=webhook-secret-key="${WEBHOOK_SECRET_KEY:-$(random 32)}" \
  --from-literal=idempotency-answer-key="${IDEMPOTENCY_ANSWER_KEY:-$(random 32)}" \
  --from-literal=nik-digest-key="${NIK_DIGEST_KEY:-$(random 32)}" || true

# The broker's administrator, in the format of the operator's default-user Secret (the
# RabbitmqCluster creates the user from it), plus its AMQP_URI and RABBITMQ_MANAGEMENT_URL for the
# Job broker-setup and the operators' commands; the platform's pods have users of their own.
password=$(random 24)
create_secret pmi-broker-user generic \
  --from-literal=username="$BROKER_USER" \
  --from-literal=password="$password" \
  --from-literal=default_user.conf="$(printf 'default_user = %s\ndefault_pass = %s' \
      "$BROKER_USER" "$password")" \
  --from-literal=host="$BROKER.$NAMESPACE.svc" \
  --from-literal=port=5672 \
  --from-literal=provider=rabbitmq \
  --from-literal=type=rabbitmq \
  --from-literal=amqp-uri="amqp://$BROKER_USER:$password@$BROKER:5672/" \
  --from-literal=management-url="http://$BROKER_USER:$password@$BROKER:15672" || true

# The gateway's read-only role on registration's database (a managed role of the cluster).
if create_secret pmi-db-gateway-registry generic --type=kubernetes.io/basic-auth \
    --from-literal=username=gateway_registry --from-literal=password="$(random 24)"; then
  kubectl -n "$NAMESPACE" label secret pmi-db-gateway-registry cnpg.io/reload=true
fi
# ... and on the agencies database, for agencies' agreements.
if create_secret pmi-db-gateway-agencies generic --type=kubernetes.io/basic-auth \
    --from-literal=username=gateway_agencies --from-literal=password="$(random 24)"; then
  kubectl -n "$NAMESPACE" label secret pmi-db-gateway-agencies cnpg.io/reload=true
fi

# One PostgreSQL role per database: CloudNativePG sets the role's password from the Secret
# (basic-auth, username = role), and the pods read the same password as PGPASSWORD.
# One broker user per process (BROKER_USERS in config.yaml): the Job broker-setup creates it
# with this password; the process connects with amqp-uri.
for owner in "${DB_OWNERS[@]}" "${BROKER_ONLY[@]}"; do
  if [[ " ${DB_OWNERS[*]} " == *" $owner "* ]] && create_secret "pmi-db-$owner" generic \
      --type=kubernetes.io/basic-auth \
      --from-literal=username="$owner" \
      --from-literal=password="$(random 24)"; then
    kubectl -n "$NAMESPACE" label secret "pmi-db-$owner" cnpg.io/reload=true
  fi
  broker_password=$(random 24)
  create_secret "pmi-broker-$owner" generic \
    --from-literal=username="pmi-$owner" \
    --from-literal=password="$broker_password" \
    --from-literal=amqp-uri="amqp://pmi-$owner:$broker_password@$BROKER:5672/" || true
done

# The notifications service's SMS provider and the key replies (BERHENTI) are signed with. The
# provider's settings are yours to give (NOTIFY_SMS_PROVIDER json or twilio, NOTIFY_SMS_URL,
# NOTIFY_SMS_TOKEN, NOTIFY_SMS_SENDER); without them the service refuses to start in production.
create_secret pmi-notify generic \
  --from-literal=inbound-secret="${NOTIFY_INBOUND_SECRET:-$(random 32)}" \
  --from-literal=sms-provider="${NOTIFY_SMS_PROVIDER:-}" \
  --from-literal=sms-url="${NOTIFY_SMS_URL:-}" \
  --from-literal=sms-token="${NOTIFY_SMS_TOKEN:-}" \
  --from-literal=sms-sender="${NOTIFY_SMS_SENDER:-}" || true

# The office's certificate and key the letters service signs letters with (PEM): give yours as
# LETTER_SIGNING_CERT_FILE and LETTER_SIGNING_KEY_FILE; without them the service refuses to
# start (`make secrets` makes a development pair under secrets/letters, not for real letters).
if [[ -n "${LETTER_SIGNING_CERT_FILE:-}" && -n "${LETTER_SIGNING_KEY_FILE:-}" ]]; then
  create_secret pmi-letters-signing generic \
    --from-file=certificate.pem="$LETTER_SIGNING_CERT_FILE" \
    --from-file=key.pem="$LETTER_SIGNING_KEY_FILE" || true
fi
