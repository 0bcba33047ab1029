// Foundation schema: agencies, units, users and roles, sessions, registers (sổ) with their counters,
// documents with the Phụ lục VI metadata, attachments (content-addressed), assignments, work dossiers,
// and the hash-chained audit log. Runs unchanged on PostgreSQL and on embedded PGlite.
// Migrations never import from src/ and are never edited once landed (STYLE.md habit 8).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('agencies', (t) => {
    t.text('organ_id').primary();
    t.text('name').notNullable();
    t.text('abbreviation').notNullable();
    t.text('level').notNullable().checkIn(['central', 'province', 'district', 'commune'], 'agencies_level_check');
    t.text('parent_organ_id').nullable();
    // Nghị định 30, art. 15: the agency decides one outgoing series or one per document type.
    t.text('outgoing_series_mode').notNullable().defaultTo('single').checkIn(['single', 'per_type'], 'agencies_series_mode_check');
    t.boolean('hosted').notNullable().defaultTo(true);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('units', (t) => {
    t.uuid('id').primary();
    t.text('agency_organ_id').notNullable().references('organ_id').inTable('agencies');
    t.text('code').notNullable();
    t.text('name').notNullable();
    t.text('abbreviation').notNullable();
    t.unique(['agency_organ_id', 'code']);
  });

  await knex.schema.createTable('users', (t) => {
    t.uuid('id').primary();
    t.text('username').notNullable().unique();
    t.text('agency_organ_id').notNullable().references('organ_id').inTable('agencies');
    t.uuid('unit_id').nullable().references('id').inTable('units');
    t.text('full_name').notNullable();
    t.text('position').nullable();
    t.text('password_hash').notNullable();
    t.boolean('disabled').notNullable().defaultTo(false);
    t.integer('failed_logins').notNullable().defaultTo(0);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('user_roles', (t) => {
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.text('role').notNullable().checkIn(['van_thu', 'lanh_dao', 'chuyen_vien', 'quan_tri'], 'user_roles_role_check');
    t.primary(['user_id', 'role']);
  });

  await knex.schema.createTable('sessions', (t) => {
    t.text('token_hash').primary(); // SHA-256 of the bearer token / cookie value, never the token itself
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.text('kind').notNullable().checkIn(['cookie', 'bearer'], 'sessions_kind_check');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
  });

  // Sổ đăng ký: one row per agency, direction, series and year, holding the series' counter. Numbering
  // takes the row lock (UPDATE ... RETURNING) inside the registering transaction: a rolled-back
  // registration releases its number, so the series stays gapless (Nghị định 30, art. 22).
  await knex.schema.createTable('registers', (t) => {
    t.uuid('id').primary();
    t.text('agency_organ_id').notNullable().references('organ_id').inTable('agencies');
    t.text('direction').notNullable().checkIn(['incoming', 'outgoing'], 'registers_direction_check');
    t.text('series_key').notNullable();
    t.integer('year').notNullable();
    t.text('name').notNullable();
    t.integer('counter').notNullable().defaultTo(0);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['agency_organ_id', 'direction', 'series_key', 'year']);
  });
  await knex.raw('ALTER TABLE registers ADD CONSTRAINT registers_counter_check CHECK (counter >= 0)');

  await knex.schema.createTable('dossiers', (t) => {
    t.uuid('id').primary();
    t.text('agency_organ_id').notNullable().references('organ_id').inTable('agencies');
    t.integer('file_catalog').notNullable(); // year
    t.text('file_notation').notNullable();
    t.text('title').notNullable();
    t.text('maintenance').notNullable().defaultTo('Vĩnh viễn');
    t.text('rights').nullable();
    t.text('creator').notNullable();
    t.text('language').notNullable().defaultTo('vi');
    t.date('start_date').nullable();
    t.date('end_date').nullable();
    t.text('description').nullable();
    t.uuid('owner_user_id').nullable().references('id').inTable('users');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['agency_organ_id', 'file_catalog', 'file_notation']);
  });

  await knex.schema.createTable('documents', (t) => {
    t.uuid('id').primary();
    t.text('agency_organ_id').notNullable().references('organ_id').inTable('agencies');
    t.text('direction').notNullable().checkIn(['incoming', 'outgoing'], 'documents_direction_check');
    t.text('origin').notNullable().checkIn(['electronic', 'paper'], 'documents_origin_check');
    t.text('status').notNullable();
    t.text('confidentiality').notNullable().defaultTo('none').checkIn(['none', 'mat', 'toi_mat', 'tuyet_mat'], 'documents_confidentiality_check');
    // Phụ lục VI
    t.uuid('dossier_id').nullable().references('id').inTable('dossiers');
    t.integer('doc_ordinal').nullable();
    t.text('type_name').notNullable();
    t.text('code_number').nullable();
    t.text('code_notation').nullable();
    t.date('issued_date').nullable();
    t.text('organ_name').notNullable();
    t.text('subject').notNullable();
    t.text('language').notNullable().defaultTo('vi');
    t.integer('page_amount').nullable();
    t.text('description').nullable();
    t.jsonb('signer_info').nullable();
    t.jsonb('recipients').notNullable().defaultTo('[]');
    t.smallint('priority').notNullable().defaultTo(0);
    t.integer('issued_amount').nullable();
    t.date('due_date').nullable();
    // incoming additions
    t.timestamp('arrival_date', { useTz: true }).nullable();
    t.integer('arrival_number').nullable();
    t.jsonb('to_places').notNullable().defaultTo('[]');
    t.jsonb('trace_headers').notNullable().defaultTo('[]');
    // registry bookkeeping
    t.text('sender_organ_id').nullable();
    t.text('edxml_document_id').nullable();
    t.uuid('register_id').nullable().references('id').inTable('registers');
    t.integer('register_year').nullable();
    t.integer('register_number').nullable(); // outgoing: the number in its series
    t.uuid('drafting_unit_id').nullable().references('id').inTable('units');
    t.text('recipients_note').nullable();
    t.timestamp('forwarded_at', { useTz: true }).nullable();
    t.text('notes').nullable();
    t.uuid('created_by').notNullable().references('id').inTable('users');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['agency_organ_id', 'direction', 'register_year']);
    t.index(['agency_organ_id', 'code_number', 'code_notation']);
    t.index(['agency_organ_id', 'edxml_document_id']);
  });
  await knex.raw(`ALTER TABLE documents ADD CONSTRAINT documents_priority_check CHECK (priority BETWEEN 0 AND 4)`);
  // Enforced in the database: one số đến per book, one number per outgoing series, (số, ký hiệu) unique
  // per agency and year for outgoing documents (Nghị định 30, art. 15, 22).
  await knex.raw(`CREATE UNIQUE INDEX documents_arrival_number_unique ON documents (register_id, arrival_number) WHERE direction = 'incoming' AND arrival_number IS NOT NULL`);
  await knex.raw(`CREATE UNIQUE INDEX documents_register_number_unique ON documents (register_id, register_number) WHERE direction = 'outgoing' AND register_number IS NOT NULL`);
  // Classified documents have their own series (art. 15.2), so (số, ký hiệu) is unique within each class.
  await knex.raw(`CREATE UNIQUE INDEX documents_outgoing_code_unique ON documents (agency_organ_id, register_year, code_number, code_notation, (confidentiality <> 'none')) WHERE direction = 'outgoing' AND code_number IS NOT NULL`);

  // Content-addressed blobs: the bytes live in the blob store under DATA_DIR, keyed by SHA-256.
  await knex.schema.createTable('attachments', (t) => {
    t.uuid('id').primary();
    t.uuid('document_id').notNullable().references('id').inTable('documents').onDelete('CASCADE');
    t.text('role').notNullable().defaultTo('attachment').checkIn(['main', 'attachment', 'scan'], 'attachments_role_check');
    t.text('file_name').notNullable();
    t.text('media_type').notNullable();
    t.bigInteger('size').notNullable();
    t.specificType('sha256', 'char(64)').notNullable();
    t.uuid('uploaded_by').notNullable().references('id').inTable('users');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['document_id']);
  });

  await knex.schema.createTable('assignments', (t) => {
    t.uuid('id').primary();
    t.uuid('document_id').notNullable().references('id').inTable('documents').onDelete('CASCADE');
    t.text('kind').notNullable().checkIn(['chu_tri', 'phoi_hop', 'de_biet'], 'assignments_kind_check');
    t.uuid('unit_id').nullable().references('id').inTable('units');
    t.uuid('user_id').nullable().references('id').inTable('users');
    t.date('deadline').nullable();
    t.text('note').nullable();
    t.text('status').notNullable().defaultTo('open').checkIn(['open', 'done'], 'assignments_status_check');
    t.uuid('assigned_by').notNullable().references('id').inTable('users');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['document_id']);
  });
  await knex.raw(`ALTER TABLE assignments ADD CONSTRAINT assignments_target_check CHECK (unit_id IS NOT NULL OR user_id IS NOT NULL)`);
  await knex.raw(`CREATE UNIQUE INDEX assignments_one_lead ON assignments (document_id) WHERE kind = 'chu_tri'`);

  // Audit: append-only, one hash chain per agency (and 'system'). hash_n = sha256(hash_{n-1} || entry_n),
  // the head row holds the last seq and hash so that removing the newest entries is detected too.
  await knex.schema.createTable('audit_heads', (t) => {
    t.text('chain').primary();
    t.bigInteger('seq').notNullable();
    t.binary('last_hash').notNullable();
  });
  await knex.schema.createTable('audit_log', (t) => {
    t.text('chain').notNullable();
    t.bigInteger('seq').notNullable();
    t.text('entry').notNullable(); // canonical JSON: at, actor, action, subject, before/after digests
    t.binary('hash').notNullable();
    t.primary(['chain', 'seq']);
  });
  // Nobody edits the audit log through the application: updates and deletes are refused by the database.
  await knex.raw(`
    CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
    END $$`);
  await knex.raw(`CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()`);
  await knex.raw(`CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()`);
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['audit_log', 'audit_heads', 'assignments', 'attachments', 'documents', 'dossiers', 'registers', 'sessions', 'user_roles', 'users', 'units', 'agencies']) {
    await knex.schema.dropTableIfExists(table);
  }
  await knex.raw('DROP FUNCTION IF EXISTS audit_log_append_only()');
}
