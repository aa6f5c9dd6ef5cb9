// Customer mappings: a processor's customer (Stripe customer id, PayPal payer e-mail) tied to a
// Wix instance, so that its rows without metadata find their instance. Listed by page (there
// can be many), searched, edited and removed.
import { useCallback, useId, useState, type FormEvent } from "react";
import * as api from "../../api";
import type { CustomerMapping } from "../../bindings/CustomerMapping";
import { formatTimestamp } from "../../format";
import { useSettled } from "../../settled";
import { PagedTable, type Column } from "../PagedTable";
import { FieldError, plural, RemoveButton } from "./common";

const TABLE_H = 300;

export function CustomerMappings() {
  const [search, setSearch] = useState("");
  const settled = useSettled(search);
  const [version, setVersion] = useState(0);
  const [key, setKey] = useState("");
  const [instance, setInstance] = useState("");
  const [errors, setErrors] = useState<{ key?: string; instance?: string; form?: string }>({});
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = { search: useId(), key: useId(), instance: useId(), keyErr: useId(), instErr: useId(), formErr: useId() };

  const fetchPage = useCallback(
    (offset: number, limit: number) => api.customerMappings({ search: settled.trim() === "" ? null : settled.trim(), offset, limit }),
    [settled],
  );

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    setNotice(null);
    const missing = {
      key: key.trim() === "" ? "Enter the customer: a Stripe customer id (cus_…) or a PayPal payer e-mail." : undefined,
      instance: instance.trim() === "" ? "Enter the Wix instance id (a GUID) this customer’s payments belong to." : undefined,
    };
    setErrors(missing);
    if (missing.key || missing.instance) return;
    setBusy(true);
    try {
      const n = await api.mapCustomer(key.trim(), instance.trim());
      setNotice(`Saved: ${key.trim()} → ${instance.trim().toLowerCase()}; ${plural(n, "row")} resolved.`);
      setKey("");
      setInstance("");
      setVersion((v) => v + 1);
    } catch (err) {
      setErrors({ form: api.errorMessage(err) });
    } finally {
      setBusy(false);
    }
  }

  async function remove(m: CustomerMapping) {
    setNotice(null);
    try {
      const out = await api.unmapCustomer(m.customer_key);
      const frozen = out.frozen > 0 ? ` ${plural(out.frozen, "row")} of approved months kept ${out.frozen === 1 ? "its" : "their"} instance.` : "";
      setNotice(`Removed the mapping of ${m.customer_key}: ${plural(out.unresolved, "row")} without an instance again (an exception in ${out.unresolved === 1 ? "its month" : "their months"}).${frozen}`);
      setVersion((v) => v + 1);
    } catch (err) {
      setErrors({ form: api.errorMessage(err) });
    }
  }

  function edit(m: CustomerMapping) {
    setKey(m.customer_key);
    setInstance(m.instance_id);
    setErrors({});
    setNotice(null);
    document.getElementById(ids.instance)?.focus();
  }

  const columns: Array<Column<CustomerMapping>> = [
    { id: "key", label: "Customer", width: 240, grow: true, cell: (m) => m.customer_key, title: (m) => m.customer_key },
    { id: "instance", label: "Instance", width: 290, cell: (m) => <code>{m.instance_id}</code> },
    { id: "saved", label: "Saved", width: 220, cell: (m) => <span className="muted small">{formatTimestamp(m.saved_at)} by {m.saved_by}</span>, title: (m) => `${m.saved_at} by ${m.saved_by}` },
    {
      id: "actions",
      label: <span className="sr-only">Actions</span>,
      width: 210,
      className: "actions",
      cell: (m) => (
        <>
          <button type="button" className="secondary" onClick={() => edit(m)} aria-label={`Edit the mapping of ${m.customer_key}`}>
            Edit
          </button>{" "}
          <RemoveButton what={`the mapping of ${m.customer_key}`} question="Remove?" onRemove={() => remove(m)} />
        </>
      ),
    },
  ];

  return (
    <>
      <section className="card" aria-labelledby="customers-title">
        <div className="card-head">
          <h2 id="customers-title">Customer mappings</h2>
        </div>
        <div className="filters">
          <div className="field search">
            <label htmlFor={ids.search}>Search</label>
            <input
              id={ids.search}
              type="search"
              value={search}
              onChange={(e) => setSearch(e.target.value)}
              placeholder="Customer or instance"
              data-testid="customers-search"
            />
          </div>
        </div>
        <PagedTable
          label="Customer mappings"
          testId="customers-table"
          columns={columns}
          queryKey={`${settled}|${version}`}
          fetchPage={fetchPage}
          rowKey={(m) => m.customer_key}
          height={TABLE_H}
          noun={["mapping", "mappings"]}
          empty={
            <>
              <p className="empty-title">{settled.trim() === "" ? "No customer mapping yet" : "No mapping matches this search"}</p>
              <p className="muted">Map a customer below, or assign an instance to an exception in the Month view with “save mapping”.</p>
            </>
          }
        />
        {notice && (
          <p className="message ok-quiet" role="status">
            {notice}
          </p>
        )}
      </section>
      <section className="card" aria-labelledby="customer-form-title">
        <div className="card-head">
          <h2 id="customer-form-title">Map a customer</h2>
        </div>
        <form className="setup-form" onSubmit={onSubmit} noValidate>
          <div className="field grow">
            <label htmlFor={ids.key}>Customer</label>
            <input
              id={ids.key}
              type="text"
              value={key}
              onChange={(e) => setKey(e.target.value)}
              placeholder="cus_Q1aBcDeFgH0001 or payer@example.com"
              spellCheck={false}
              autoComplete="off"
              aria-invalid={errors.key !== undefined}
              aria-describedby={errors.key ? ids.keyErr : undefined}
              data-testid="customer-key"
            />
            <FieldError id={ids.keyErr} message={errors.key ?? null} />
          </div>
          <div className="field grow">
            <label htmlFor={ids.instance}>Instance</label>
            <input
              id={ids.instance}
              type="text"
              value={instance}
              onChange={(e) => setInstance(e.target.value)}
              placeholder="6f1c2a9e-3b4d-4e8a-9c1f-2d7b8e0a5c31"
              spellCheck={false}
              autoComplete="off"
              aria-invalid={errors.instance !== undefined}
              aria-describedby={errors.instance ? ids.instErr : undefined}
              data-testid="customer-instance"
            />
            <FieldError id={ids.instErr} message={errors.instance ?? null} />
          </div>
          <button type="submit" className="primary" disabled={busy} data-testid="customer-save">
            {busy ? "Saving…" : "Save mapping"}
          </button>
          <FieldError id={ids.formErr} message={errors.form ?? null} />
          <p className="muted small full">
            The customer’s rows without an instance of their own take this one, now and in later imports. Changing a mapping moves
            the rows it resolved, except in approved months.
          </p>
        </form>
      </section>
    </>
  );
}
