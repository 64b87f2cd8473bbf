# The tests' Dovecot for contributors with Docker (Testcontainers builds it when IMAPEVENTS_TEST_IMAP_*
# is not set): the same Debian package and configuration scripts/test.sh uses, listening on all addresses.
FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends dovecot-imapd openssl \
 && rm -rf /var/lib/apt/lists/*
COPY dovecot.conf.template /srv/test/dovecot.conf.template
RUN mkdir -p /srv/test/mail \
 && openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -keyout /srv/test/key.pem -out /srv/test/cert.pem \
      -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
 && sed -e 's#@DIR@#/srv/test#g' -e 's#@IMAP_PORT@#143#g' -e 's#@IMAPS_PORT@#993#g' \
        -e 's#address = 127.0.0.1#address = *#g' -e 's#^listen = 127.0.0.1#listen = *#' -e 's#^log_path = .*#log_path = /dev/stderr#' \
        /srv/test/dovecot.conf.template > /srv/test/dovecot.conf \
 && : > /srv/test/users && chmod 666 /srv/test/users \
 && chown -R nobody:nogroup /srv/test/mail
EXPOSE 143 993
CMD ["dovecot", "-F", "-c", "/srv/test/dovecot.conf"]
