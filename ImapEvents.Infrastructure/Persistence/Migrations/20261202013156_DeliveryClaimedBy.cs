using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ImapEvents.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class DeliveryClaimedBy : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "ClaimedBy",
                table: "deliveries",
                type: "character varying(300)",
                maxLength: 300,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "ClaimedBy",
                table: "deliveries");
        }
    }
}
