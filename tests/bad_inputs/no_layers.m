Network empty {
}
