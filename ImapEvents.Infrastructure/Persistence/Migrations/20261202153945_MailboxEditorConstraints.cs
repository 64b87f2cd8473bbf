using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ImapEvents.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class MailboxEditorConstraints : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Rows written by hand before the database refused them. A check of such a row could only fail, every
            // interval; each gets what the editor would have offered (the usual port for its security, the default
            // size, INBOX, and marking seen instead of moving to no folder: nothing is deleted that was not before).
            // Control characters in a folder name are dropped first; what is left blank is then treated as missing.
            migrationBuilder.Sql("""
                UPDATE mailboxes SET "ServerPort" = CASE WHEN "Security" = 'SslOnConnect' THEN 993 ELSE 143 END
                WHERE "ServerPort" NOT BETWEEN 1 AND 65535;
                UPDATE mailboxes SET "MaxMessageSizeKilobytes" = CASE WHEN "MaxMessageSizeKilobytes" < 1 THEN 25600 ELSE 1048576 END
                WHERE "MaxMessageSizeKilobytes" NOT BETWEEN 1 AND 1048576;
                UPDATE mailboxes SET "Folder" = regexp_replace("Folder", '[\x01-\x1f\x7f-\x9f]', '', 'g') WHERE "Folder" ~ '[\x01-\x1f\x7f-\x9f]';
                UPDATE mailboxes SET "Folder" = 'INBOX'
                WHERE "Folder" !~ '[^[:space:]\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]';
                UPDATE mailboxes SET "MoveToFolder" = regexp_replace("MoveToFolder", '[\x01-\x1f\x7f-\x9f]', '', 'g') WHERE "MoveToFolder" ~ '[\x01-\x1f\x7f-\x9f]';
                UPDATE mailboxes SET "AfterImport" = 'MarkSeen'
                WHERE "AfterImport" = 'MoveToFolder'
                  AND coalesce("MoveToFolder", '') !~ '[^[:space:]\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]';
                """);

            migrationBuilder.AddCheckConstraint(
                name: "CK_mailboxes_folder",
                table: "mailboxes",
                sql: "\"Folder\" ~ '[^[:space:]\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]' AND \"Folder\" !~ '[\\x01-\\x1f\\x7f-\\x9f]'");

            migrationBuilder.AddCheckConstraint(
                name: "CK_mailboxes_message_size",
                table: "mailboxes",
                sql: "\"MaxMessageSizeKilobytes\" BETWEEN 1 AND 1048576");

            migrationBuilder.AddCheckConstraint(
                name: "CK_mailboxes_move_to_folder",
                table: "mailboxes",
                sql: "\"AfterImport\" <> 'MoveToFolder' OR (coalesce(\"MoveToFolder\", '') ~ '[^[:space:]\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]' AND \"MoveToFolder\" !~ '[\\x01-\\x1f\\x7f-\\x9f]')");

            migrationBuilder.AddCheckConstraint(
                name: "CK_mailboxes_port",
                table: "mailboxes",
                sql: "\"ServerPort\" BETWEEN 1 AND 65535");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropCheckConstraint(
                name: "CK_mailboxes_folder",
                table: "mailboxes");

            migrationBuilder.DropCheckConstraint(
                name: "CK_mailboxes_message_size",
                table: "mailboxes");

            migrationBuilder.DropCheckConstraint(
                name: "CK_mailboxes_move_to_folder",
                table: "mailboxes");

            migrationBuilder.DropCheckConstraint(
                name: "CK_mailboxes_port",
                table: "mailboxes");
        }
    }
}
