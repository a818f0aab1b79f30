"""Store messages a worker stored in English read in the reader's language where the catalogue knows them."""

from django.utils import translation

from portal.labels import stored_text


def test_a_catalogue_sentence_is_worded_again_with_its_parameters():
    text = "The store address shop.example.com could not be found. Check its spelling."
    with translation.override("fr"):
        assert stored_text(text) == "L'adresse de boutique shop.example.com est introuvable. Vérifiez son orthographe."
    with translation.override("en"):
        assert stored_text(text) == text


def test_plural_sentences_are_worded_by_their_count():
    with translation.override("fr"):
        many = stored_text(
            "The store could not be reached after 3 attempts: it answered HTTP 500. Outbound will try again later."
        )
        one = stored_text(
            "The store could not be reached after 1 attempt: it answered HTTP 500. Outbound will try again later."
        )
    assert many.startswith("La boutique est restée injoignable après 3 tentatives : ")
    assert one.startswith("La boutique est restée injoignable après 1 tentative : ")


def test_what_the_store_itself_said_stays_as_it_was():
    with translation.override("fr"):
        assert stored_text("Login failed: unknown user") == "Login failed: unknown user"
