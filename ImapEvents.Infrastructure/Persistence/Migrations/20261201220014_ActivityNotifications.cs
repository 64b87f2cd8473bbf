using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ImapEvents.Infrastructure.Persistence.Migrations
{
    /// <summary>
    /// Open pages follow what happens through one PostgreSQL channel (ActivityFeed.Channel). The
    /// NOTIFY is sent by a trigger in the transaction that writes the row, so it comes from whichever
    /// process recorded the change (a worker-only instance included), only once it committed, and no
    /// writer can forget it. PostgreSQL folds identical notifications of one transaction into one.
    /// </summary>
    public partial class ActivityNotifications : Migration
    {
        private static readonly (string Table, string Events, string Kind)[] Triggers =
        [
            ("imap_events", "INSERT", "events"),
            ("event_rule_matches", "INSERT", "events"),
            ("mailbox_status", "INSERT OR UPDATE", "checks"),
            ("deliveries", "INSERT OR UPDATE", "deliveries"),
            ("delivery_attempts", "INSERT", "deliveries"),
            ("mailboxes", "INSERT OR UPDATE OR DELETE", "mailboxes"),
        ];

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE FUNCTION imapevents_notify_activity() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM pg_notify('imapevents_activity', TG_ARGV[0]);
                    RETURN NULL;
                END
                $$;
                """);
            foreach (var (table, events, kind) in Triggers)
            {
                migrationBuilder.Sql(
                    $"CREATE TRIGGER {table}_activity AFTER {events} ON {table} FOR EACH ROW EXECUTE FUNCTION imapevents_notify_activity('{kind}');");
            }
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            foreach (var (table, _, _) in Triggers)
            {
                migrationBuilder.Sql($"DROP TRIGGER IF EXISTS {table}_activity ON {table};");
            }

            migrationBuilder.Sql("DROP FUNCTION IF EXISTS imapevents_notify_activity();");
        }
    }
}
